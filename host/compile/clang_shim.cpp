// clang_shim.cpp — C in memory → BPF ELF object in memory, with clang as a
// library. The only C++ file of pktlua; every LLVM_VERSION_MAJOR guard lives
// here. See clang_shim.h for the seam and compiler.c for the process model
// (this code runs only in a short-lived forked child).
//
// No driver: we build the cc1 command line ourselves (what `clang -target bpf
// -mcpu=v3 -O2 -g -c` would pass to cc1) and hand it to
// CompilerInvocation::CreateFromArgs. Headers and the source come from an
// in-memory file system laid over the real one; the object goes to a memory
// stream; diagnostics go to a string, never to the terminal.

#include "compile/clang_shim.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/DiagnosticFrontend.h>
#include <clang/Basic/DiagnosticOptions.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/CompilerInvocation.h>
#include <clang/Frontend/TextDiagnosticPrinter.h>
#include <clang/Frontend/Utils.h>
#include <llvm/ADT/SmallVector.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/Support/Allocator.h>
#include <llvm/Support/CommandLine.h>
#include <llvm/Support/ErrorHandling.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/Path.h>
#include <llvm/Support/StringSaver.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/VirtualFileSystem.h>
#include <llvm/Support/raw_ostream.h>
#ifdef PKTLUA_STATIC_LLVM
#include <llvm/Passes/PassPlugin.h>
#endif

#if LLVM_VERSION_MAJOR < 19
#error "pktlua's compiler shim needs LLVM/clang 19 or newer"
#endif

namespace {

// Everything diagnosed so far; the fatal-error handler prints it before
// LLVM's message, since the handler never returns to hand it back normally.
std::string *fatal_diag;

void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

// Why: LLVM reports some backend failures ("Cannot select: ...", e.g. for
// __sync_fetch_and_nand or a _Thread_local variable on BPF) through
// report_fatal_error(), whose default handler prints "LLVM ERROR" and calls
// abort() or exit(1). There is no way to recover inside the process, so we
// make the exit deliberate and recognisable: print what clang had diagnosed
// plus the reason on stderr (a memfd the parent reads) and exit with
// PL_CC_EXIT_FATAL. The parent turns that into -ECHILD with this text.
void fatal_handler(void *, const char *reason, bool)
{
	if (fatal_diag)
		write_all(STDERR_FILENO, fatal_diag->data(), fatal_diag->size());
	static const char pfx[] = "error in backend: ";
	write_all(STDERR_FILENO, pfx, sizeof(pfx) - 1);
	write_all(STDERR_FILENO, reason, strlen(reason));
	write_all(STDERR_FILENO, "\n", 1);
	_exit(PL_CC_EXIT_FATAL);
}

// Why: clang maps a backend diagnostic ("too many arguments", "BPF stack
// limit is exceeded") back to the source through the file its debug location
// names. With #line that is the script ("x.lua"), which clang's file system
// may not hold (compiler.c serves a stand-in when it can); when the mapping
// fails clang falls back to the function's location, which is right, and
// adds "could not determine the original source location for x.lua:0:0",
// which is noise. This consumer drops that note and forwards the rest.
class DropInvalidLocNote : public clang::DiagnosticConsumer {
	std::unique_ptr<clang::DiagnosticConsumer> next;

public:
	explicit DropInvalidLocNote(clang::DiagnosticConsumer *n) : next(n) {}
	void BeginSourceFile(const clang::LangOptions &lo, const clang::Preprocessor *pp) override
	{
		next->BeginSourceFile(lo, pp);
	}
	void EndSourceFile() override { next->EndSourceFile(); }
	void finish() override { next->finish(); }
	void clear() override
	{
		DiagnosticConsumer::clear();
		next->clear();
	}
	void HandleDiagnostic(clang::DiagnosticsEngine::Level level,
			      const clang::Diagnostic &info) override
	{
		if (info.getID() == clang::diag::note_fe_backend_invalid_loc)
			return;
		DiagnosticConsumer::HandleDiagnostic(level, info); // error counts
		next->HandleDiagnostic(level, info);
	}
};

// Why: clang places a backend diagnostic by looking its debug location's file
// up among the files of the translation unit (SourceManager::translateFile).
// The snippet's lines live in the main file under #line, so that lookup
// fails and the message lands on the enclosing function. Registering the
// caller's stand-in for the script (same lines, same name) as a file of the
// unit lets clang point at the very line, with its text under the message.
class EmitObj : public clang::EmitObjAction {
	const char *line_file;

public:
	explicit EmitObj(const char *lf) : line_file(lf) {}

protected:
	bool BeginSourceFileAction(clang::CompilerInstance &ci) override
	{
		if (line_file) {
			auto fe = ci.getFileManager().getOptionalFileRef(line_file);
			if (fe)
				ci.getSourceManager().createFileID(*fe, clang::SourceLocation(),
								   clang::SrcMgr::C_User);
		}
		return EmitObjAction::BeginSourceFileAction(ci);
	}
};

// Why: the compile cache must know which real files the object depends on
// (a header next to the script that the snippet #includes), to notice when
// one changes. Everything served from memory is part of the cache key
// already; what clang read from disk is not. Missing files and clang's
// pseudo-files ("<built-in>") are not files; system headers (clang's
// stddef.h, -isystem dirs) are, so they are asked for too.
class RealFileDeps : public clang::DependencyCollector {
	llvm::vfs::InMemoryFileSystem &mem;

public:
	explicit RealFileDeps(llvm::vfs::InMemoryFileSystem &m) : mem(m) {}
	bool needSystemDependencies() override { return true; }
	bool sawDependency(llvm::StringRef name, bool from_module, bool is_system,
			   bool is_module_file, bool is_missing) override
	{
		if (is_missing || name.empty() || name.starts_with("<"))
			return false;
		if (!DependencyCollector::sawDependency(name, from_module, is_system,
							is_module_file, is_missing))
			return false;
		return !mem.exists(name);
	}
};

char *dup_buf(const char *p, size_t n)
{
	char *s = static_cast<char *>(malloc(n + 1));

	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

// The cc1 arguments `clang -target bpf -mcpu=v3 -O2 -g -c` would produce,
// minus what only matters for files on disk. -nostdsysteminc drops
// /usr/include and /usr/local/include (glibc headers cannot work for BPF);
// clang's own stddef.h/stdint.h/stdbool.h still come from the resource dir.
const char *const base_args[] = {
	"-triple", "bpfel",
	"-target-cpu", "v3",
	"-emit-obj",
	"-O2",
	"-debug-info-kind=constructor", // -g: BTF (and so CO-RE) is made from it
	"-dwarf-version=5",
	"-debugger-tuning=gdb",
	"-mrelocation-model", "static",
	"-fgnuc-version=4.2.1",         // __GNUC__, which libbpf's headers test
	"-discard-value-names",
	"-clear-ast-before-backend",
	"-disable-free",                // the child exits right after; skip teardown
	"-disable-llvm-verifier",
	"-resource-dir", PKTLUA_CLANG_RESOURCE_DIR,
	"-nostdsysteminc",
	"-ferror-limit", "19",
	// Lua-style locations: "x.lua:14: error: ..." (no column).
	"-fno-show-column",
	"-fmessage-length=0",
	"-x", "c",
};

} // namespace

#ifdef PKTLUA_STATIC_LLVM
// Debian builds LLVM with Polly linked into its tools, so the static
// libclangCodeGen.a asks for Polly's pass plugin through this function, but
// ships Polly only as a loadable plugin, not as an archive. pktlua's -O2 for
// BPF never uses Polly: the plugin it gets registers nothing.
llvm::PassPluginLibraryInfo getPollyPluginInfo()
{
	return { LLVM_PLUGIN_API_VERSION, "pktlua-no-polly", "0", [](llvm::PassBuilder &) {} };
}
#endif

extern "C" __attribute__((visibility("default")))
int pl_cc_compile(const struct pl_cc_input *in, struct pl_cc_output *out)
{
	memset(out, 0, sizeof(*out));
	if (!in || in->abi != PL_CC_ABI_VERSION) {
		static const char msg[] = "compiler shim: ABI version mismatch\n";
		out->diag = dup_buf(msg, sizeof(msg) - 1);
		out->diag_len = out->diag ? sizeof(msg) - 1 : 0;
		return -EPROTO;
	}

	std::string diag;
	llvm::raw_string_ostream diag_os(diag);
	fatal_diag = &diag;
	llvm::install_fatal_error_handler(fatal_handler, nullptr);

	LLVMInitializeBPFTargetInfo();
	LLVMInitializeBPFTarget();
	LLVMInitializeBPFTargetMC();
	LLVMInitializeBPFAsmPrinter();
	// Inline asm with instructions in it (may_goto, as libbpf's can_loop
	// emits; hand-written BPF) needs the assembler to emit the object.
	LLVMInitializeBPFAsmParser();

	// Arguments: ours, then the caller's (later ones win), then the input.
	llvm::BumpPtrAllocator alloc;
	llvm::StringSaver saver(alloc);
	std::vector<const char *> args(std::begin(base_args), std::end(base_args));
	for (size_t i = 0; i < in->nargs; i++) {
		const char *a = in->args[i];
		if (!strncmp(a, "-mcpu=", 6)) {       // driver spelling users know
			args.push_back("-target-cpu");
			args.push_back(saver.save(a + 6).data());
		} else if (!strcmp(a, "-g")) {        // already on
			continue;
		} else {
			args.push_back(a);
		}
	}
	args.push_back("-main-file-name");
	args.push_back(saver.save(llvm::sys::path::filename(in->main_path)).data());
	args.push_back(in->main_path);

	int err = -EINVAL;
	auto inv = std::make_shared<clang::CompilerInvocation>();
	{
		// Argument errors ("unknown argument") are reported before the
		// invocation's own diagnostic options exist: use defaults.
		llvm::IntrusiveRefCntPtr<clang::DiagnosticOptions> opts(new clang::DiagnosticOptions());
		clang::TextDiagnosticPrinter printer(diag_os, opts.get());
		clang::DiagnosticsEngine diags(
			llvm::IntrusiveRefCntPtr<clang::DiagnosticIDs>(new clang::DiagnosticIDs()),
			opts.get(), &printer, false);
		if (!clang::CompilerInvocation::CreateFromArgs(*inv, args, diags) ||
		    diags.hasErrorOccurred())
			goto out;
	}

	// -mllvm options: cc1_main hands them to LLVM's command line parser; so
	// do we (once per process is all LLVM allows, and we are a fresh child).
	if (!inv->getFrontendOpts().LLVMArgs.empty()) {
		std::vector<const char *> llvm_args = {"pktlua-cc"};
		for (const std::string &a : inv->getFrontendOpts().LLVMArgs)
			llvm_args.push_back(a.c_str());
		if (!llvm::cl::ParseCommandLineOptions((int)llvm_args.size(), llvm_args.data(),
						       "", &diag_os))
			goto out;
	}

	{
		llvm::IntrusiveRefCntPtr<llvm::vfs::InMemoryFileSystem> mem(
			new llvm::vfs::InMemoryFileSystem());
		llvm::IntrusiveRefCntPtr<llvm::vfs::OverlayFileSystem> vfs(
			new llvm::vfs::OverlayFileSystem(llvm::vfs::getRealFileSystem()));
		// Before adding files: this gives the memory layer the real working
		// directory, against which relative paths (line_file) resolve.
		vfs->pushOverlay(mem);
		mem->addFile(in->main_path, 0,
			     llvm::MemoryBuffer::getMemBuffer(llvm::StringRef(in->src, in->src_len),
							      in->main_path, false));
		for (size_t i = 0; i < in->nfiles; i++) {
			const struct pl_cc_file *f = &in->files[i];
			mem->addFile(f->path, 0,
				     llvm::MemoryBuffer::getMemBuffer(llvm::StringRef(f->data, f->len),
								      f->path, false));
		}

		clang::CompilerInstance ci;
		ci.setInvocation(inv);
		ci.createDiagnostics(new DropInvalidLocNote(new clang::TextDiagnosticPrinter(
					     diag_os, &inv->getDiagnosticOpts())),
				     true);
		ci.createFileManager(vfs);
		auto deps = std::make_shared<RealFileDeps>(*mem);
		ci.addDependencyCollector(deps);

		llvm::SmallVector<char, 0> obj;
		ci.setOutputStream(std::make_unique<llvm::raw_svector_ostream>(obj));

		EmitObj act(in->line_file);
		bool ok = ci.ExecuteAction(act) && !ci.getDiagnostics().hasErrorOccurred();
		if (ok && obj.empty()) {
			diag_os << "error: the compiler produced no object\n";
			ok = false;
		}
		if (ok) {
			out->obj = malloc(obj.size());
			if (!out->obj) {
				err = -ENOMEM;
				goto out;
			}
			memcpy(out->obj, obj.data(), obj.size());
			out->obj_len = obj.size();
			err = 0;

			std::string list;
			for (const std::string &d : deps->getDependencies())
				list.append(d).push_back('\0');
			if (!list.empty()) {
				out->deps = dup_buf(list.data(), list.size());
				if (!out->deps) {
					free(out->obj);
					out->obj = nullptr;
					out->obj_len = 0;
					err = -ENOMEM;
					goto out;
				}
				out->deps_len = list.size();
			}
		}
	}

out:
	diag_os.flush();
	fatal_diag = nullptr;
	out->diag = dup_buf(diag.data(), diag.size());
	if (!out->diag) {
		free(out->obj);
		free(out->deps);
		out->obj = nullptr;
		out->obj_len = 0;
		out->deps = nullptr;
		out->deps_len = 0;
		return -ENOMEM;
	}
	out->diag_len = diag.size();
	return err;
}
