/* 2. larson — server pattern, malloc/free. See larson.h.
 * The runner also runs it with 16 threads as "oversub" (11.) and with one
 * thread as "larson-1t" (for the scaling figures). */
#define LARSON_ALLOC(n) xmalloc(n)
#define LARSON_FREE(p, n) free(p)
#include "larson.h"
