// Ctrl-C handling (see interrupt.h): a self-pipe that the signal handler writes to when no run is in
// progress, polled together with stdin.
#include "interrupt.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>

#include "core/error.h"

namespace chord::cli {
namespace {

std::atomic<runtime::Generator*> g_generator{nullptr};
int g_pipe[2] = {-1, -1};
std::string g_buffer;  // stdin bytes read but not yet returned as lines

void on_sigint(int) {
    const int saved = errno;
    runtime::Generator* gen = g_generator.load();
    if (gen == nullptr || !gen->abort()) {
        const char byte = 1;
        const ssize_t ignored = write(g_pipe[1], &byte, 1);  // a full pipe already says "interrupted"
        (void)ignored;
    }
    errno = saved;
}

}  // namespace

void install_interrupt_handler() {
    if (g_pipe[0] >= 0) return;
    if (pipe(g_pipe) != 0) throw Error(ErrorCode::Io, "cannot create a pipe for Ctrl-C handling");
    for (int fd : g_pipe) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct sigaction sa = {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, nullptr);
}

void set_interruptible(runtime::Generator* generator) {
    g_generator.store(generator);
}

void drop_pending_interrupts() {
    char buf[64];
    while (read(g_pipe[0], buf, sizeof buf) > 0) {
    }
}

ReadResult read_line(std::string& line) {
    for (;;) {
        if (const size_t nl = g_buffer.find('\n'); nl != std::string::npos) {
            line.assign(g_buffer, 0, nl);
            g_buffer.erase(0, nl + 1);
            return ReadResult::Line;
        }
        pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {g_pipe[0], POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;  // the handler ran: the pipe says whether to report it
            throw Error(ErrorCode::Io, "cannot read the terminal");
        }
        if (fds[1].revents & POLLIN) {
            drop_pending_interrupts();
            return ReadResult::Interrupted;
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[4096];
            const ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                if (g_buffer.empty()) return ReadResult::Eof;
                line.swap(g_buffer);
                g_buffer.clear();
                return ReadResult::Line;
            }
            g_buffer.append(buf, static_cast<size_t>(n));
        }
    }
}

}  // namespace chord::cli
