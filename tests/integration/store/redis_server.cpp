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
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef SLA_REDIS_CLI
#define SLA_REDIS_CLI "/usr/bin/redis-cli"
#endif

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
int free_port_impl() {
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
  tv.tv_sec = timeout.count() / 1000;  // time_t and suseconds_t are the count's int64 (LP64)
  tv.tv_usec = (timeout.count() % 1000) * 1000;
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

int free_loopback_port() { return free_port_impl(); }

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
    port_ = free_port_impl();
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

namespace {

std::string text_of(const ReplyPtr& reply) {
  return reply && reply->str != nullptr ? std::string(reply->str, reply->len) : std::string();
}

void expect_ok(const ReplyPtr& reply, const std::string& what) {
  if (!reply || reply->type == REDIS_REPLY_ERROR) {
    throw std::runtime_error(what + ": " + text_of(reply));
  }
}

}  // namespace

RedisCluster::RedisCluster(std::vector<std::string> extra_args, std::string password, std::string username)
    : password_(std::move(password)), username_(std::move(username)) {
  for (int i = 0; i < size(); ++i) {
    std::vector<std::string> args = {"--cluster-enabled", "yes",
                                     "--cluster-port", std::to_string(free_loopback_port()),
                                     "--cluster-node-timeout", "5000"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    nodes_.push_back(std::make_unique<RedisServer>(args, password_, username_));
  }
  std::string command = std::string(SLA_REDIS_CLI) + " --cluster create";
  for (const auto& n : nodes_) {
    command += " 127.0.0.1:" + std::to_string(n->port());
  }
  command += " --cluster-replicas 0 --cluster-yes";
  if (!password_.empty()) {
    command += " --no-auth-warning -a '" + password_ + "'";
    if (!username_.empty()) {
      command += " --user '" + username_ + "'";
    }
  }
  command += " 2>&1";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    throw std::runtime_error("cannot run " + command);
  }
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output.append(buffer, n);
  }
  const int status = ::pclose(pipe);
  if (status != 0) {
    throw std::runtime_error("redis-cli --cluster create failed:\n" + output);
  }
  wait_agreed();
}

std::string RedisCluster::id(int i) const {
  auto reply = node(i).command({"CLUSTER", "MYID"});
  expect_ok(reply, "CLUSTER MYID");
  return text_of(reply);
}

int RedisCluster::owner(std::uint16_t slot) const {
  auto reply = node(0).command({"CLUSTER", "SLOTS"});
  expect_ok(reply, "CLUSTER SLOTS");
  for (std::size_t i = 0; i < reply->elements; ++i) {
    const redisReply& range = *reply->element[i];
    if (range.element[0]->integer <= slot && slot <= range.element[1]->integer) {
      const long long port = range.element[2]->element[1]->integer;
      for (int k = 0; k < size(); ++k) {
        if (node(k).port() == port) {
          return k;
        }
      }
    }
  }
  return -1;
}

void RedisCluster::flush_all() {
  for (int i = 0; i < size(); ++i) {
    expect_ok(node(i).command({"FLUSHALL"}), "FLUSHALL");
  }
}

void RedisCluster::wait_agreed(int slot, int owner) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    bool agreed = true;
    for (int i = 0; i < size() && agreed; ++i) {
      last = text_of(node(i).command({"CLUSTER", "INFO"}));
      agreed = last.find("cluster_state:ok") != std::string::npos &&
               last.find("cluster_slots_assigned:16384") != std::string::npos &&
               last.find("cluster_known_nodes:3") != std::string::npos;
      if (agreed && slot >= 0) {
        // CLUSTER NODES lines: "<id> <host:port@bus> <flags> ... <slots>";
        // ask node i who serves `slot` with CLUSTER SLOTS instead.
        auto slots = node(i).command({"CLUSTER", "SLOTS"});
        bool found = false;
        for (std::size_t r = 0; slots && r < slots->elements; ++r) {
          const redisReply& range = *slots->element[r];
          if (range.element[0]->integer <= slot && slot <= range.element[1]->integer) {
            found = range.element[2]->element[1]->integer == node(owner).port();
          }
        }
        agreed = found;
      }
    }
    if (agreed) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("the cluster did not agree within 30 s:\n" + last);
}

void RedisCluster::migrate_slot(std::uint16_t slot, int from, int to,
                                const std::vector<std::vector<std::string>>& key_groups,
                                const std::function<void(const std::string&)>& between) {
  const std::string s = std::to_string(slot);
  expect_ok(node(to).command({"CLUSTER", "SETSLOT", s, "IMPORTING", id(from)}), "SETSLOT IMPORTING");
  expect_ok(node(from).command({"CLUSTER", "SETSLOT", s, "MIGRATING", id(to)}), "SETSLOT MIGRATING");
  between("importing");
  auto migrate = [&](const std::vector<std::string>& keys) {
    std::vector<std::string> args = {"MIGRATE", "127.0.0.1", std::to_string(node(to).port()), "", "0", "5000"};
    if (!password_.empty()) {
      if (username_.empty()) {
        args.insert(args.end(), {"AUTH", password_});
      } else {
        args.insert(args.end(), {"AUTH2", username_, password_});
      }
    }
    args.push_back("KEYS");
    args.insert(args.end(), keys.begin(), keys.end());
    expect_ok(node(from).command(args), "MIGRATE");
  };
  for (std::size_t g = 0; g < key_groups.size(); ++g) {
    migrate(key_groups[g]);
    between("key " + std::to_string(g));
  }
  for (;;) {
    auto keys = node(from).command({"CLUSTER", "GETKEYSINSLOT", s, "100"});
    expect_ok(keys, "GETKEYSINSLOT");
    if (keys->elements == 0) {
      break;
    }
    std::vector<std::string> rest;
    for (std::size_t i = 0; i < keys->elements; ++i) {
      rest.emplace_back(keys->element[i]->str, keys->element[i]->len);
    }
    migrate(rest);
  }
  // As redis-cli does: the target first, then the source, then the others.
  expect_ok(node(to).command({"CLUSTER", "SETSLOT", s, "NODE", id(to)}), "SETSLOT NODE");
  expect_ok(node(from).command({"CLUSTER", "SETSLOT", s, "NODE", id(to)}), "SETSLOT NODE");
  for (int i = 0; i < size(); ++i) {
    if (i != from && i != to) {
      expect_ok(node(i).command({"CLUSTER", "SETSLOT", s, "NODE", id(to)}), "SETSLOT NODE");
    }
  }
  between("owned");
}

}  // namespace sla::store::testing
