/* demangle.h — C++, Rust and D symbol names made readable.
 *
 * Through libiberty's cplus_demangle (Debian's libiberty-dev, the demangler
 * of GNU binutils; its demangle.h and cp-demangle.c carry a linking
 * exception): pktlua's one C++ file is the clang shim, and the pktlua
 * process never maps LLVM (or C++'s __cxa_demangle) for it. */
#ifndef PKTLUA_DEMANGLE_H
#define PKTLUA_DEMANGLE_H

/* NAME demangled, with parameter types ("ns::f(int)"), in a string the
 * caller frees; NULL when NAME is not mangled (or on ENOMEM). */
char *pl_demangle(const char *name);

#endif
