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
#include "compile/uapi.h"

#include <cerrno>
#include <cstdint>
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
#include <llvm/ADT/SmallString.h>
#include <llvm/Support/Chrono.h>
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

// Why: pktlua carries ~900 UAPI headers (linux/, asm/, ...) and a snippet
// includes a handful, often none. Registering them all in the in-memory file
// system cost ~7 ms of every compile; this file system answers for them on
// demand instead, from the sorted table compiled into the shim: a path under
// ROOT is a file when the table names it, a directory when some name starts
// with it. Only status and open are needed for #include; listing a
// directory gives nothing.
class UapiFileSystem : public llvm::vfs::FileSystem {
	std::string root;       // "/pktlua/include", no trailing slash

	class File : public llvm::vfs::File {
		llvm::vfs::Status st;
		const struct pl_uapi_file *f;

	public:
		File(llvm::vfs::Status s, const struct pl_uapi_file *file) : st(std::move(s)), f(file) {}
		llvm::ErrorOr<llvm::vfs::Status> status() override { return st; }
		llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>>
		getBuffer(const llvm::Twine &name, int64_t, bool, bool) override
		{
			// The data is NUL-terminated (the generated table's strings).
			return llvm::MemoryBuffer::getMemBuffer(
				llvm::StringRef(pl_uapi_text + f->text, f->len), name.str(), true);
		}
		std::error_code close() override { return {}; }
	};

	// The path relative to ROOT, dots removed; false if not under it.
	bool relative(const llvm::Twine &path, std::string &rel) const
	{
		llvm::SmallString<256> p;
		path.toVector(p);
		llvm::sys::path::remove_dots(p, true);
		llvm::StringRef r(p);
		if (!r.consume_front(root) || !r.consume_front("/") || r.empty())
			return false;
		rel = r.str();
		return true;
	}

	static const char *file_name(size_t i) { return pl_uapi_file_names + pl_uapi_files[i].name; }

	// The first table entry not below NAME.
	static size_t lower_bound(const std::string &name)
	{
		size_t lo = 0, hi = pl_uapi_count;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (strcmp(file_name(mid), name.c_str()) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo;
	}

	static llvm::vfs::Status make_status(const llvm::Twine &path, size_t id, size_t size,
					     llvm::sys::fs::file_type type)
	{
		// One id per entry, in a device number no real or in-memory file has.
		return llvm::vfs::Status(path.str(),
					 llvm::sys::fs::UniqueID(UINT64_MAX - 1, id + 1),
					 llvm::sys::TimePoint<>(), 0, 0, size, type,
					 llvm::sys::fs::perms::all_read);
	}

public:
	explicit UapiFileSystem(const char *r) : root(r)
	{
		while (!root.empty() && root.back() == '/')
			root.pop_back();
	}

	llvm::ErrorOr<llvm::vfs::Status> status(const llvm::Twine &path) override
	{
		std::string rel;
		if (!relative(path, rel))
			return std::make_error_code(std::errc::no_such_file_or_directory);
		size_t i = lower_bound(rel);
		if (i < pl_uapi_count && rel == file_name(i))
			return make_status(path, i, pl_uapi_files[i].len,
					   llvm::sys::fs::file_type::regular_file);
		rel.push_back('/');
		i = lower_bound(rel);
		if (i < pl_uapi_count && !strncmp(file_name(i), rel.data(), rel.size()))
			return make_status(path, pl_uapi_count + i,
					   0, llvm::sys::fs::file_type::directory_file);
		return std::make_error_code(std::errc::no_such_file_or_directory);
	}

	llvm::ErrorOr<std::unique_ptr<llvm::vfs::File>>
	openFileForRead(const llvm::Twine &path) override
	{
		std::string rel;
		if (!relative(path, rel))
			return std::make_error_code(std::errc::no_such_file_or_directory);
		size_t i = lower_bound(rel);
		if (i >= pl_uapi_count || rel != file_name(i))
			return std::make_error_code(std::errc::no_such_file_or_directory);
		return std::unique_ptr<llvm::vfs::File>(new File(
			make_status(path, i, pl_uapi_files[i].len, llvm::sys::fs::file_type::regular_file),
			&pl_uapi_files[i]));
	}

	llvm::vfs::directory_iterator dir_begin(const llvm::Twine &, std::error_code &ec) override
	{
		ec = std::error_code();
		return llvm::vfs::directory_iterator();
	}

	std::error_code setCurrentWorkingDirectory(const llvm::Twine &) override { return {}; }
	llvm::ErrorOr<std::string> getCurrentWorkingDirectory() const override
	{
		return std::string("/");
	}
};

// Why: a snippet may include vmlinux.h and then UAPI headers (<linux/if_ether.h>
// for ETH_P_IP) that define the same types. The served UAPI headers wrap each
// type definition in #if !defined(__PL_VMLINUX_tag_NAME) (tools/uapi.c);
// vmlinux.h gets those macros defined at its end for what it defines itself,
// read back from btf_dump's text (its layout is fixed: definitions start at
// column 0, enumerators are "\tNAME = VALUE,"), so the guards match exactly
// what was emitted, pruned or whole.
class VmlinuxGuards {
	std::string &out;
	bool filter = false;

	static bool ident_start(char c)
	{
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
	}
	static bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }

	static bool guarded(char kind, llvm::StringRef name)
	{
		return pl_uapi__has(pl_uapi_names, pl_uapi_name_off, pl_uapi_name_count, kind,
				    name.data(), name.size());
	}

	void add(char kind, llvm::StringRef name)
	{
		if (name.empty() || (filter && !guarded(kind, name)))
			return;
		out += "#define ";
		out += kind == 't' ? PL_UAPI_GUARD_TAG : PL_UAPI_GUARD_ID;
		out += name.str();
		out += " 1\n";
	}

	// The name "typedef ... NAME;" (or its last line, "} NAME;") declares:
	// after "(*" for a function pointer, before "(" for a function type,
	// else the last identifier outside brackets.
	static llvm::StringRef typedef_name(llvm::StringRef s)
	{
		size_t paren = s.starts_with("} ") ? llvm::StringRef::npos : s.find('(');
		if (paren != llvm::StringRef::npos) {
			size_t p = paren + 1;
			while (p < s.size() && (s[p] == '*' || s[p] == ' '))
				p++;
			if (p > paren + 1 && p < s.size() && ident_start(s[p])) {
				size_t e = p;
				while (e < s.size() && ident_char(s[e]))
					e++;
				return s.slice(p, e);
			}
			s = s.take_front(paren);
		}
		llvm::StringRef last;
		for (size_t p = 0; p < s.size();) {
			if (s[p] == '[' || s[p] == '(') {
				int depth = 0;
				for (; p < s.size(); p++) {
					depth += s[p] == '[' || s[p] == '(';
					depth -= s[p] == ']' || s[p] == ')';
					if (!depth)
						break;
				}
				p++;
			} else if (ident_start(s[p])) {
				size_t q = p;
				while (q < s.size() && ident_char(s[q]))
					q++;
				last = s.slice(p, q);
				p = q;
			} else {
				p++;
			}
		}
		return last;
	}

public:
	explicit VmlinuxGuards(std::string &o) : out(o) {}

	void scan(llvm::StringRef text)
	{
		bool typedef_open = false;

		// A pruned header names a few hundred things: each gets its macro.
		// The whole one names ~150k: only those some header tests do (a
		// search of the guard table for each, ~5 ms).
		filter = text.size() > (1u << 20);

		out += "\n/* For pktlua's UAPI headers: the definitions above, not theirs. */\n";
		while (!text.empty()) {
			auto [line, rest] = text.split('\n');
			text = rest;
			if (line.starts_with("struct ") || line.starts_with("union ") ||
			    line.starts_with("enum ")) {
				llvm::StringRef r = line.drop_until([](char c) { return c == ' '; }).drop_front();
				llvm::StringRef name = r.take_while(ident_char);
				r = r.drop_front(name.size());
				if (r == " {" || r == " {};")     // "struct NAME {", empty "{};"
					add('t', name);
			} else if (line.starts_with("typedef ")) {
				if (line.ends_with(";"))
					add('i', typedef_name(line.drop_front(8).drop_back()));
				else
					typedef_open = true;    // typedef struct { ... } NAME;
			} else if (typedef_open && line.starts_with("}")) {
				typedef_open = false;
				if (line.ends_with(";"))
					add('i', typedef_name(line.drop_back()));
			} else if (line.starts_with("\t")) {
				llvm::StringRef r = line.ltrim('\t');
				llvm::StringRef name = r.take_while(ident_char);
				if (!name.empty() && ident_start(name[0]) &&
				    r.drop_front(name.size()).starts_with(" = "))
					add('i', name);         // an enumerator
			}
		}
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
	llvm::vfs::FileSystem *uapi;    // may be null

public:
	RealFileDeps(llvm::vfs::InMemoryFileSystem &m, llvm::vfs::FileSystem *u) : mem(m), uapi(u) {}
	bool needSystemDependencies() override { return true; }
	bool sawDependency(llvm::StringRef name, bool from_module, bool is_system,
			   bool is_module_file, bool is_missing) override
	{
		if (is_missing || name.empty() || name.starts_with("<"))
			return false;
		if (!DependencyCollector::sawDependency(name, from_module, is_system,
							is_module_file, is_missing))
			return false;
		return !mem.exists(name) && !(uapi && uapi->exists(name));
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
		// directory, against which relative paths (line_file) resolve. The
		// UAPI headers lie between the real files and the memory layer.
		llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> uapi;
		if (in->uapi_dir) {
			uapi = new UapiFileSystem(in->uapi_dir);
			vfs->pushOverlay(uapi);
		}
		vfs->pushOverlay(mem);
		mem->addFile(in->main_path, 0,
			     llvm::MemoryBuffer::getMemBuffer(llvm::StringRef(in->src, in->src_len),
							      in->main_path, false));
		std::string vmlinux;    // vmlinux.h with the guards, alive for the compile
		for (size_t i = 0; i < in->nfiles; i++) {
			const struct pl_cc_file *f = &in->files[i];
			llvm::StringRef data(f->data, f->len);
			if (in->uapi_dir && in->vmlinux_path && !strcmp(f->path, in->vmlinux_path)) {
				vmlinux.reserve(f->len + 4096);
				vmlinux.assign(f->data, f->len);
				VmlinuxGuards(vmlinux).scan(data);
				data = vmlinux;
			}
			mem->addFile(f->path, 0, llvm::MemoryBuffer::getMemBuffer(data, f->path, false));
		}

		clang::CompilerInstance ci;
		ci.setInvocation(inv);
		ci.createDiagnostics(new DropInvalidLocNote(new clang::TextDiagnosticPrinter(
					     diag_os, &inv->getDiagnosticOpts())),
				     true);
		ci.createFileManager(vfs);
		auto deps = std::make_shared<RealFileDeps>(*mem, uapi.get());
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
