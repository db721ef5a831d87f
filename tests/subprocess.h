// Running child processes in tests: the strata CLI, crash writers.
#ifndef STRATA_TESTS_SUBPROCESS_H_
#define STRATA_TESTS_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace strata::testing {

struct ProcessResult {
  int exit_code = -1;   // -1 when killed by a signal
  int signal = 0;       // the signal that ended it, if any
  std::string out;      // standard output (empty when discarded)
  std::string err;      // standard error
  long max_rss_kb = 0;  // peak resident set size of the child
};

struct ProcessOptions {
  std::string stdin_data;  // written to the child's stdin, then closed
  // When set, called repeatedly to produce stdin; returns false at the end.
  std::function<bool(std::string* chunk)> stdin_producer;
  bool discard_stdout = false;             // send stdout to /dev/null
  std::map<std::string, std::string> env;  // added to (or overriding) the environment
};

// Runs `argv` to completion. Aborts the test binary if the process cannot start.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const ProcessOptions& options = {});

// A child whose stdout is read line by line, and which can be killed.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reads complete lines until `deadline`, or until the child closes stdout.
  // Returns false when the child's stdout is closed.
  bool ReadLinesUntil(std::chrono::steady_clock::time_point deadline,
                      std::vector<std::string>* lines);
  // SIGKILLs the child, collects every line it wrote before dying, and reaps it.
  void Kill(std::vector<std::string>* lines);
  // Waits for exit; returns the wait status.
  int Wait();

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string partial_;
};

// Runs `command` (a shell command line starting `strata serve` with its standard
// error on standard output) as `*server` and waits, at most 60 s, for its line
// "serving ... on URL...". Returns the URL (http://127.0.0.1:PORT); "" after a test
// failure when the server ends or is slower.
std::string StartServer(const std::string& command, std::unique_ptr<ChildProcess>* server);

}  // namespace strata::testing

#endif  // STRATA_TESTS_SUBPROCESS_H_
