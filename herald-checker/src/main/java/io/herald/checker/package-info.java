/**
 * A Jepsen-style consistency checker for Herald: {@link io.herald.checker.CheckerMain} (the command
 * line) and {@link io.herald.checker.CheckerRun} (one run) start a real redis-server and Herald
 * nodes as separate processes behind fault-injecting loopback proxies, publish and subscribe on
 * every transport while a seeded nemesis injects the faults of {@link io.herald.checker.FaultKind},
 * then check the recorded history against the promise of PROTOCOL.md sections 2 to 5 (order,
 * exactly once, every hole reported and justified, honest publication outcomes). The model is
 * Jepsen's (https://jepsen.io): a real system, a recorded history, a checker over it; the rules are
 * listed in the module's README.
 *
 * <p>Everything but the command line and the run is package-private: the cluster ({@code Cluster},
 * {@code NodeProcess}, {@code RedisProcess}, {@code TcpProxy}), the clients ({@code Publisher},
 * {@code Subscriber}), the {@code Nemesis}, the {@code History} and the {@code Analyzer}.
 */
package io.herald.checker;
