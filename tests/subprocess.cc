#include "tests/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <regex>
#include <thread>

#include "gtest/gtest.h"

extern char** environ;

namespace strata::testing {
namespace {

std::vector<char*> Argv(const std::vector<std::string>& args) {
  std::vector<char*> out;
  for (const auto& a : args) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

std::vector<std::string> Environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    const std::string key = entry.substr(0, entry.find('='));
    if (extra.count(key) == 0) env.push_back(entry);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

void Die(const std::string& what) {
  std::cerr << "subprocess: " << what << ": " << std::strerror(errno) << "\n";
  std::abort();
}

void WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = ::write(fd, data.data() + off, data.size() - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;  // the child closed its stdin: it is done reading
    }
    off += static_cast<size_t>(w);
  }
}

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const ProcessOptions& options) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 ||
      ::pipe2(err, O_CLOEXEC) != 0) {
    Die("pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  if (options.discard_stdout) {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  } else {
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  }
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  auto args = Argv(argv);
  auto env_strings = Environment(options.env);
  std::vector<char*> env;
  for (auto& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env.data()) != 0) {
    Die("spawn " + argv[0]);
  }
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  ::signal(SIGPIPE, SIG_IGN);

  std::thread feeder([&] {
    if (options.stdin_producer) {
      std::string chunk;
      while (options.stdin_producer(&chunk)) WriteAll(in[1], chunk);
    } else {
      WriteAll(in[1], options.stdin_data);
    }
    ::close(in[1]);
  });

  ProcessResult result;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      Die("poll");
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  feeder.join();
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  result.max_rss_kb = usage.ru_maxrss;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) Die("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  auto args = Argv(argv);
  if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) {
    Die("spawn " + argv[0]);
  }
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  out_fd_ = out[0];
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    Wait();
  }
  if (out_fd_ >= 0) ::close(out_fd_);
}

bool ChildProcess::ReadLinesUntil(std::chrono::steady_clock::time_point deadline,
                                  std::vector<std::string>* lines) {
  char buf[4096];
  while (out_fd_ >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    pollfd fd{out_fd_, POLLIN, 0};
    int r = ::poll(&fd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1 << 30)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return true;
    ssize_t n = ::read(out_fd_, buf, sizeof(buf));
    if (n <= 0) {
      ::close(out_fd_);
      out_fd_ = -1;
      break;
    }
    partial_.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = partial_.find('\n')) != std::string::npos) {
      lines->push_back(partial_.substr(0, nl));
      partial_.erase(0, nl + 1);
    }
  }
  return false;
}

void ChildProcess::Kill(std::vector<std::string>* lines) {
  if (pid_ > 0) ::kill(pid_, SIGKILL);
  // The pipe closes when the child dies; everything it wrote is still readable.
  ReadLinesUntil(std::chrono::steady_clock::time_point::max(), lines);
  Wait();
}

int ChildProcess::Wait() {
  int status = 0;
  if (pid_ > 0) {
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  return status;
}

std::string StartServer(const std::string& command, std::unique_ptr<ChildProcess>* server) {
  *server = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/bin/sh", "-c", "exec " + command});
  // "serving DIR on http://127.0.0.1:PORT, ... (Ctrl-C stops)"
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  const std::regex serving(R"(serving .* on (http://127\.0\.0\.1:[0-9]+)[ ,].*)");
  std::vector<std::string> lines;
  while (true) {
    // Lines come as they are written; the short wait lets the loop see each.
    const bool open = (*server)->ReadLinesUntil(
        std::chrono::steady_clock::now() + std::chrono::milliseconds(50), &lines);
    for (const auto& line : lines) {
      std::smatch m;
      if (std::regex_match(line, m, serving)) return m[1];
    }
    if (!open || std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << (open ? "strata serve is slow: " : "strata serve did not start: ")
                    << command;
      return "";
    }
  }
}

}  // namespace strata::testing
