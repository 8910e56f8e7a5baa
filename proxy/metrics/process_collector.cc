#include "proxy/metrics/process_collector.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace outrigger::metrics {
namespace {

// The numeric fields of /proc/self/stat that we use, already converted.
struct ProcStat {
  double utime_ticks = 0;
  double stime_ticks = 0;
  double start_ticks = 0;  // since boot
  double vsize_bytes = 0;
  double rss_pages = 0;
};

// Reads a small /proc file whole. /proc files report size 0, so read until EOF.
bool readSmallFile(const char* path, std::string* out) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::array<char, 4096> chunk;
  out->clear();
  for (;;) {
    ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out->append(chunk.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return !out->empty();
}

bool readProcStat(ProcStat* stat) {
  std::string text;
  if (!readSmallFile("/proc/self/stat", &text)) return false;
  // The command name (field 2) is in parentheses and may itself contain spaces and ')',
  // so the numeric fields start after the last ')'.
  size_t paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 >= text.size()) return false;
  const char* p = text.c_str() + paren + 2;
  // Field 3 (state) is a letter; skip it, then field 4 onwards are numbers.
  while (*p != '\0' && *p != ' ') ++p;
  std::array<double, 22> fields{};  // fields 4..25
  for (double& field : fields) {
    char* end = nullptr;
    field = std::strtod(p, &end);
    if (end == p) return false;
    p = end;
  }
  auto field = [&](int number) { return fields[static_cast<size_t>(number - 4)]; };
  stat->utime_ticks = field(14);
  stat->stime_ticks = field(15);
  stat->start_ticks = field(22);
  stat->vsize_bytes = field(23);
  stat->rss_pages = field(24);
  return true;
}

// Seconds since the epoch at boot, from the "btime" line of /proc/stat.
double bootTimeSeconds() {
  std::string text;
  if (!readSmallFile("/proc/stat", &text)) return -1;
  size_t pos = text.find("\nbtime ");
  if (pos == std::string::npos) return -1;
  return std::strtod(text.c_str() + pos + 7, nullptr);
}

double countOpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  const int own_fd = ::dirfd(dir);  // listed too, but it is ours, not the process's
  double count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    if (std::atoi(entry->d_name) == own_fd) continue;
    ++count;
  }
  ::closedir(dir);
  return count;
}

prometheus::MetricFamily sample(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

}  // namespace

ProcessCollector::ProcessCollector()
    : ticks_per_second_(static_cast<double>(::sysconf(_SC_CLK_TCK))),
      page_size_(static_cast<double>(::sysconf(_SC_PAGESIZE))),
      start_time_seconds_(-1) {
  ProcStat stat;
  double boot = bootTimeSeconds();
  if (boot >= 0 && ticks_per_second_ > 0 && readProcStat(&stat)) {
    start_time_seconds_ = boot + stat.start_ticks / ticks_per_second_;
  }
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  ProcStat stat;
  if (ticks_per_second_ > 0 && readProcStat(&stat)) {
    out.push_back(sample("process_cpu_seconds_total",
                         "Total user and system CPU time spent in seconds.", MetricType::Counter,
                         (stat.utime_ticks + stat.stime_ticks) / ticks_per_second_));
    out.push_back(sample("process_resident_memory_bytes", "Resident memory size in bytes.",
                         MetricType::Gauge, stat.rss_pages * page_size_));
    out.push_back(sample("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                         MetricType::Gauge, stat.vsize_bytes));
  }
  if (double fds = countOpenFds(); fds >= 0) {
    out.push_back(
        sample("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, fds));
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    out.push_back(sample("process_max_fds", "Maximum number of open file descriptors.",
                         MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  }
  if (start_time_seconds_ >= 0) {
    out.push_back(sample("process_start_time_seconds",
                         "Start time of the process since unix epoch in seconds.",
                         MetricType::Gauge, start_time_seconds_));
  }
  return out;
}

}  // namespace outrigger::metrics
