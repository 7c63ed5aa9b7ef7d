#include "redis_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef SLA_REDIS_SERVER
#define SLA_REDIS_SERVER "/usr/bin/redis-server"
#endif

namespace sla::store::testing {
namespace {

/// Owns a connection from redisConnectWithTimeout(); freed with redisFree().
struct ContextDeleter {
  void operator()(redisContext* context) const noexcept { redisFree(context); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

/// A port the kernel just handed out on 127.0.0.1 (bind to port 0).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    throw std::runtime_error("socket() failed");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind/getsockname on 127.0.0.1:0 failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

ContextPtr connect(int port, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ContextPtr context(redisConnectWithTimeout("127.0.0.1", port, tv));
  if (!context || context->err != 0) {
    return nullptr;
  }
  redisSetTimeout(context.get(), tv);
  return context;
}

ReplyPtr run(redisContext* context, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return ReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lens.data())));
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

RedisServer::RedisServer(std::vector<std::string> extra_args, std::string password,
                         std::string username)
    : extra_args_(std::move(extra_args)), password_(std::move(password)), username_(std::move(username)) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sla-redis-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  dir_ = tmpl;
  // Another process may take the port between free_port() and the server's
  // bind: try a few ports.
  for (int attempt = 0;; ++attempt) {
    port_ = free_port();
    try {
      start();
      return;
    } catch (const std::exception&) {
      kill();
      if (attempt == 2) {
        std::filesystem::remove_all(dir_);
        throw;
      }
    }
  }
}

RedisServer::~RedisServer() {
  resume();
  kill();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void RedisServer::start() {
  std::vector<std::string> args = {SLA_REDIS_SERVER,
                                   "--port", std::to_string(port_),
                                   "--bind", "127.0.0.1",
                                   "--save", "",
                                   "--appendonly", "no",
                                   "--daemonize", "no",
                                   "--dir", dir_.string()};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  const std::string log = (dir_ / "redis.log").string();

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
      ::_exit(127);
    }
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  pid_ = pid;
  wait_ready();
}

void RedisServer::authenticate(redisContext* context) const {
  if (password_.empty()) {
    return;
  }
  if (username_.empty()) {
    (void)run(context, {"AUTH", password_});
  } else {
    (void)run(context, {"AUTH", username_, password_});
  }
}

void RedisServer::wait_ready() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis-server exited at start:\n" + slurp(dir_ / "redis.log"));
    }
    if (auto context = connect(port_, std::chrono::milliseconds(200))) {
      authenticate(context.get());
      auto reply = run(context.get(), {"PING"});
      if (reply && reply->type == REDIS_REPLY_STATUS && std::string(reply->str, reply->len) == "PONG") {
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("redis-server did not answer PING on port " + std::to_string(port_) +
                           ":\n" + slurp(dir_ / "redis.log"));
}

void RedisServer::kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
}

void RedisServer::restart() {
  kill();
  start();
}

void RedisServer::pause() {
  if (pid_ > 0) {
    ::kill(pid_, SIGSTOP);
  }
}

void RedisServer::resume() {
  if (pid_ > 0) {
    ::kill(pid_, SIGCONT);
  }
}

ReplyPtr RedisServer::command(const std::vector<std::string>& args) const {
  auto context = connect(port_, std::chrono::milliseconds(5000));
  if (!context) {
    throw std::runtime_error("cannot connect to redis-server on port " + std::to_string(port_));
  }
  authenticate(context.get());
  auto reply = run(context.get(), args);
  if (!reply) {
    throw std::runtime_error("redis command failed: " + std::string(context->errstr));
  }
  return reply;
}

std::string RedisServer::info_field(std::string_view section, std::string_view field) const {
  auto reply = command({"INFO", std::string(section)});
  if (reply->type != REDIS_REPLY_STRING) {
    return {};
  }
  std::istringstream lines(std::string(reply->str, reply->len));
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) == 0) {
      line.erase(0, prefix.size());
      while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
        line.pop_back();
      }
      return line;
    }
  }
  return {};
}

}  // namespace sla::store::testing
