#include "object_file.h"

#include "errors.h"

#include <bpf/libbpf.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace vigil {

namespace {

// BPF objects are kilobytes to a few megabytes; this bounds what a wrong path can make us read.
constexpr off_t kMaxObjectBytes = 64 * 1024 * 1024;

} // namespace

std::vector<uint8_t> ReadObjectFile(Napi::Env env, const std::string &path) {
	std::string op = "open " + path;
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		ThrowBpfError(env, op, errno);
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int err = errno;
		close(fd);
		ThrowBpfError(env, op, err);
	}
	if (!S_ISREG(st.st_mode) || st.st_size > kMaxObjectBytes) {
		close(fd);
		ThrowBpfError(env, op,
		              S_ISDIR(st.st_mode)   ? EISDIR
		              : S_ISREG(st.st_mode) ? EFBIG
		                                    : EINVAL);
	}
	std::vector<uint8_t> image(static_cast<size_t>(st.st_size));
	size_t done = 0;
	while (done < image.size()) {
		ssize_t n = read(fd, image.data() + done, image.size() - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO; // the file shrank while being read
			close(fd);
			ThrowBpfError(env, op, err);
		}
		done += static_cast<size_t>(n);
	}
	close(fd);
	return image;
}

void CheckOpenDoesNotCrash(Napi::Env env, const std::string &path,
                           const std::vector<uint8_t> &image, const char *objectName) {
	pid_t pid = fork();
	// Without memory or processes to spare, open without the check rather than not at all.
	if (pid < 0)
		return;
	if (pid == 0) {
		// The child only parses: no JavaScript, no output, no exit handlers.
		libbpf_set_print(nullptr);
		LIBBPF_OPTS(bpf_object_open_opts, opts);
		opts.object_name = objectName;
		bpf_object *obj = bpf_object__open_mem(image.data(), image.size(), &opts);
		_exit(obj != nullptr ? 0 : 1);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			ThrowBpfError(env, "open " + path + ": waitpid", errno);
	}
	if (WIFSIGNALED(status)) {
		ThrowBpfError(env,
		              "open " + path + ": libbpf crashed parsing the object (signal " +
		                  std::to_string(WTERMSIG(status)) + "): the file is corrupt",
		              LIBBPF_ERRNO__FORMAT);
	}
}

} // namespace vigil
