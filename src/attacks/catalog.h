/* The attack catalog: one line per kind, in the order `faultline attacks`
 * lists them. X(name) means that src/attacks/name.c defines
 *
 *     const fl_attack fl_attack_name = {.info = {.name = "name", ...}, ...};
 *
 * (a kind spelled with a dash, like process-kill, has an underscore here).
 * This list is all there is to register a kind: the library declares and
 * finds the kinds from it (src/core/spec.c) and the build compiles
 * src/attacks/name.c for every line (CMakeLists.txt reads it). To add a kind:
 * write its file and add its line (docs/architecture.md). */
#ifndef FL_ATTACKS_CATALOG_H
#define FL_ATTACKS_CATALOG_H

#define FL_ATTACKS(X)                                                                                                  \
    X(cpu)                                                                                                             \
    X(memory)                                                                                                          \
    X(disk_fill)                                                                                                       \
    X(io_stress)                                                                                                       \
    X(process_kill)                                                                                                    \
    X(process_pause)                                                                                                   \
    X(latency)                                                                                                         \
    X(packet_loss)                                                                                                     \
    X(blackhole)                                                                                                       \
    X(reset)                                                                                                           \
    X(bandwidth)                                                                                                       \
    X(dns)                                                                                                             \
    X(corrupt)                                                                                                         \
    X(duplicate)                                                                                                       \
    X(reorder)                                                                                                         \
    /* a new kind: one line above this one */

#endif
