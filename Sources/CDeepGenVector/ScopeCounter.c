#include "CDeepGenVector.h"
#include <stdatomic.h>

// How many thread-count scopes are open in the process (Parallel.withThreadCount): an atomic,
// read with relaxed order on every kernel's thread-count lookup.
static _Atomic long open_scopes = 0;

void deepgen_scope_enter(void) { atomic_fetch_add_explicit(&open_scopes, 1, memory_order_relaxed); }
void deepgen_scope_exit(void) { atomic_fetch_sub_explicit(&open_scopes, 1, memory_order_relaxed); }
long deepgen_open_scopes(void) { return atomic_load_explicit(&open_scopes, memory_order_relaxed); }
