package io.herald.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class AttackersTest {
  @Test
  void attackSpecsGiveKindCountAndOptionalTimeout() {
    assertThat(Attackers.Spec.parse("slowloris=200:12s"))
        .isEqualTo(new Attackers.Spec(Attackers.Kind.SLOWLORIS, 200, 12));
    assertThat(Attackers.Spec.parse("silent=5000").timeoutSeconds())
        .isEqualTo(Attackers.Kind.SILENT.defaultTimeoutSeconds);
    assertThatThrownBy(() -> Attackers.Spec.parse("teardrop=1"))
        .hasMessageContaining("unknown attacker kind 'teardrop'")
        .hasMessageContaining("ws-flood");
    assertThatThrownBy(() -> Attackers.Spec.parse("silent")).hasMessageContaining("KIND=COUNT");
    assertThat(Attackers.Spec.parse("silent=max").count()).isEqualTo(Runner.MAX_CONNECTIONS);
    assertThatThrownBy(() -> Attackers.Spec.parse("slowloris=max"))
        .hasMessageContaining("not a number");
    assertThatThrownBy(() -> Attackers.Spec.parse("silent=25000")).hasMessageContaining("0 to");
  }

  @Test
  void onlyLoopbackTargetsAreAttacked() {
    assertThat(Attackers.checkLoopback(Target.herald("h", "http://127.0.0.5:9", 0)).getPort())
        .isEqualTo(9);
    assertThatThrownBy(() -> Attackers.checkLoopback(Target.herald("h", "http://10.0.0.1:9", 0)))
        .hasMessageContaining("127.0.0.0/8");
  }

  @Test
  void slowlorisHeadNeverEnds() {
    StringBuilder head = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      ByteBuf b = Attackers.slowlorisByte(i);
      head.append((char) b.readByte());
      b.release();
    }
    assertThat(head.toString()).startsWith("GET /health HTTP/1.1\r\n").doesNotContain("\r\n\r\n");
  }

  @Test
  void clientFramesAreMaskedWithAZeroKey() {
    ByteBuf f = Attackers.maskedText(Unpooled.buffer(), "{\"type\":\"ping\",\"id\":1}");
    assertThat((int) f.getUnsignedByte(0)).isEqualTo(0x81);
    assertThat((int) f.getUnsignedByte(1)).isEqualTo(0x80 | 22);
    assertThat(f.getInt(2)).isZero();
    assertThat(f.toString(6, 22, StandardCharsets.UTF_8)).isEqualTo("{\"type\":\"ping\",\"id\":1}");
    f.release();
  }

  @Test
  void statusLinesParse() {
    assertThat(Attackers.statusCode("HTTP/1.1 408 Request Timeout")).isEqualTo(408);
    assertThat(Attackers.statusCode("SSH-2.0")).isEqualTo(-1);
  }
}
