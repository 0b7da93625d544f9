/* For the wine smoke test only (scripts/wine-smoke.sh), never shipped: Rust's standard library on Windows
 * draws random numbers from ProcessPrng in bcryptprimitives.dll, which Windows 10 and later have and
 * Debian's wine 8 lacks. This stand-in answers it from RtlGenRandom (advapi32's SystemFunction036). */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len) {
    ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
    if (!SystemFunction036(data, n)) return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}
