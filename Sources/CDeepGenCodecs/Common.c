#include <stdlib.h>
#include "CDeepGenCodecs.h"

void dg_free(void *pointer) { free(pointer); }
