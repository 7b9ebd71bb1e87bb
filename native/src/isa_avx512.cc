// The native kernels for x86-64 with AVX-512 (F, DQ): not written yet; the table is null and
// addon.cc falls back to AVX2.
#include "api.h"
const KernelTable* tableAvx512() { return nullptr; }
