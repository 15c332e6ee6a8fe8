package io.herald.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class TargetTest {
  @Test
  void heraldTargetsUseChannelsPaths() {
    Target t = Target.parse("herald,url=http://127.0.0.1:9000/,pid=42");
    assertThat(t.herald()).isTrue();
    assertThat(t.pid).isEqualTo(42);
    assertThat(t.subscribeUri("a").toString()).isEqualTo("http://127.0.0.1:9000/channels/a");
    assertThat(t.publishUri("a").toString()).isEqualTo("http://127.0.0.1:9000/channels/a");
  }

  @Test
  void nchanTargetsUseSubAndPub() {
    Target t = Target.parse("nchan,name=nginx,url=http://127.0.0.1:8090");
    assertThat(t.name).isEqualTo("nginx");
    assertThat(t.subscribeUri("a").getPath()).isEqualTo("/sub/a");
    assertThat(t.publishUri("a").getPath()).isEqualTo("/pub/a");
  }

  @Test
  void genericTargetsNeedBothTemplates() {
    Target t = Target.parse("generic,sub=http://h:1/s/{channel}?x=1,pub=http://h:1/p/{channel}");
    assertThat(t.subscribeUri("z").getRawQuery()).isEqualTo("x=1");
    assertThatThrownBy(() -> Target.parse("generic,sub=http://h/{channel}"))
        .hasMessageContaining("sub=TEMPLATE and pub=TEMPLATE");
    assertThatThrownBy(() -> Target.parse("generic,sub=http://h/x,pub=http://h/y"))
        .hasMessageContaining("{channel}");
    assertThatThrownBy(() -> Target.parse("redis,url=x"))
        .hasMessageContaining("herald, nchan or generic");
    assertThatThrownBy(() -> Target.parse("herald,port=1"))
        .hasMessageContaining("unknown target key");
  }

  @Test
  void heraldTargetsMayPublishBinaryMessages() {
    assertThat(Target.parse("herald,binary=1").binary).isTrue();
    assertThat(Target.parse("herald").binary).isFalse();
    assertThat(Target.parse("herald,binary=1").withName("b").withPid(3).binary).isTrue();
    assertThatThrownBy(() -> Target.parse("nchan").withBinary(true))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
