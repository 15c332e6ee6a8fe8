package io.herald.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * An allocator for one {@code EmbeddedChannel} that remembers every buffer it hands out, so that a
 * fuzz test can check after each input, deterministically and without waiting for the garbage
 * collector, that the pipeline released all of them. Heap buffers only. Confined to the test thread
 * (the embedded event loop).
 */
final class TrackingAllocator extends AbstractByteBufAllocator {
  private final List<ByteBuf> allocated = new ArrayList<>();

  TrackingAllocator() {
    super(false);
  }

  @Override
  protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
    return track(new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity));
  }

  @Override
  protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
    return newHeapBuffer(initialCapacity, maxCapacity);
  }

  @Override
  public CompositeByteBuf compositeHeapBuffer(int maxNumComponents) {
    return track(super.compositeHeapBuffer(maxNumComponents));
  }

  @Override
  public CompositeByteBuf compositeDirectBuffer(int maxNumComponents) {
    return compositeHeapBuffer(maxNumComponents);
  }

  @Override
  public boolean isDirectBufferPooled() {
    return false;
  }

  private <T extends ByteBuf> T track(T buf) {
    allocated.add(buf);
    return buf;
  }

  /** Fails, naming how many, when a buffer handed out is still referenced. */
  void assertAllReleased() {
    long live = allocated.stream().filter(b -> b.refCnt() > 0).count();
    assertThat(live).as("buffers still referenced of %d allocated", allocated.size()).isZero();
  }
}
