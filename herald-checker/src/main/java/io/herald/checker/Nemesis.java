package io.herald.checker;

import io.herald.checker.History.Fault;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Injects faults on a schedule drawn from the seed: every fault kind in a seeded order, again and
 * again, each held a few seconds and healed, with a few healthy seconds between. Every fault is
 * recorded in the {@link History} with its start and end.
 *
 * <p>Runs on its own thread until {@link #stop}; then {@link #healAll} leaves the cluster whole.
 */
final class Nemesis implements Runnable {
  private final Random random;
  private final History history;
  private final Cluster cluster;
  private final AtomicBoolean clientsStalled;
  private final List<FaultKind> kinds;
  private final boolean[] nodeDown;
  private volatile boolean stopped;

  Nemesis(
      long seed,
      History history,
      Cluster cluster,
      AtomicBoolean clientsStalled,
      List<FaultKind> kinds) {
    this.random = new Random(seed);
    this.history = history;
    this.cluster = cluster;
    this.clientsStalled = clientsStalled;
    this.kinds = kinds;
    this.nodeDown = new boolean[cluster.size()];
  }

  void stop() {
    stopped = true;
  }

  @Override
  public void run() {
    List<FaultKind> order = new ArrayList<>(kinds);
    try {
      while (!stopped) {
        Collections.shuffle(order, random);
        for (FaultKind kind : order) {
          pause(500 + random.nextInt(1_000));
          if (stopped) {
            return;
          }
          inject(kind);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      System.err.println("nemesis failed: " + e);
      e.printStackTrace();
    }
  }

  private void pause(long millis) throws InterruptedException {
    long end = System.nanoTime() + millis * 1_000_000;
    while (!stopped && System.nanoTime() < end) {
      Thread.sleep(20);
    }
  }

  private void inject(FaultKind kind) throws InterruptedException {
    int n = random.nextInt(cluster.size());
    long hold = 1_000 + random.nextInt(1_500);
    String target =
        switch (kind) {
          case KILL_NODE, TERM_NODE, CUT_CONNECTIONS, STALL_NETWORK -> cluster.nodeName(n);
          case PAUSE_REDIS, RESTART_REDIS_WITH_DATA, RESTART_REDIS_EMPTY -> "redis";
          case STALL_CLIENTS -> "stallable subscribers";
        };
    Fault f = new Fault(history.nextSeq(), kind, target, history.now());
    history.add(f);
    switch (kind) {
      case KILL_NODE, TERM_NODE -> {
        nodeDown[n] = true;
        cluster.stopNode(n, kind == FaultKind.TERM_NODE);
        pause(hold);
        cluster.startNode(n);
        nodeDown[n] = false;
      }
      case PAUSE_REDIS -> {
        cluster.redis().pause();
        pause(hold);
        cluster.redis().resume();
      }
      case RESTART_REDIS_WITH_DATA -> cluster.redis().restartWithData();
      case RESTART_REDIS_EMPTY -> cluster.redis().restartEmpty();
      case CUT_CONNECTIONS -> cluster.proxy(n).cutAll();
      case STALL_NETWORK -> {
        cluster.proxy(n).stall();
        pause(hold);
        cluster.proxy(n).unstall();
      }
      case STALL_CLIENTS -> {
        clientsStalled.set(true);
        pause(hold * 2);
        clientsStalled.set(false);
      }
    }
    f.end = history.now();
  }

  /** Undoes every fault still in force: Redis running, every node up, no stall. */
  void healAll() {
    cluster.redis().resume();
    for (int i = 0; i < cluster.size(); i++) {
      cluster.proxy(i).unstall();
      if (nodeDown[i]) {
        cluster.startNode(i);
        nodeDown[i] = false;
      }
    }
    clientsStalled.set(false);
  }

  /** Every fault kind. */
  static List<FaultKind> allKinds() {
    return Arrays.asList(FaultKind.values());
  }
}
