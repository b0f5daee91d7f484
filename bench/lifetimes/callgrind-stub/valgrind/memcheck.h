/* Used only for bench/lifetimes' callgrind build of ward (build/ward-cg):
 * the real <valgrind/memcheck.h>, except that RUNNING_ON_VALGRIND is 0.
 *
 * ward's arenas and pools ask RUNNING_ON_VALGRIND once, when they are
 * created, and take an annotating slow path under valgrind so that memcheck
 * sees their blocks. Under callgrind that would count the instructions of
 * the annotations, not of the path a program runs outside valgrind. With
 * this header the client-request code is still compiled in (the fast paths
 * compile to the same instructions as the shipped build, which the runner
 * checks), but arenas and pools never switch to it.
 */
#include_next <valgrind/memcheck.h>
#undef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
