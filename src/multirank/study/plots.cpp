#include "multirank/study/plots.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "multirank/core/error.hpp"
#include "multirank/study/error.hpp"

extern char** environ;  // POSIX: passed on to gnuplot

namespace multirank::study {

namespace fs = std::filesystem;

std::string find_gnuplot() {
  if (const char* forced = std::getenv("MULTIRANK_GNUPLOT"); forced && *forced)
    return ::access(forced, X_OK) == 0 ? forced : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/gnuplot";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

namespace {

/// A gnuplot single-quoted string ('' is gnuplot's escape for a quote inside one).
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

/// A file-name fragment: letters, digits, '-' and '_' only.
std::string slug(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return out.empty() ? "run" : out;
}

/// Runs gnuplot on `script`; throws with gnuplot's first error line when it fails.
void run_gnuplot(const std::string& gnuplot, const std::string& script, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::string arg0 = gnuplot;
  std::string arg1 = script;
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, gnuplot.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw PlotError("cannot start " + gnuplot + ": " + std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw PlotError("waiting for gnuplot failed");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream in(log);
    std::string first;
    std::string line;
    while (std::getline(in, line))
      if (!line.empty() && line.find_first_not_of(" ^") != std::string::npos) first = line;
    throw PlotError("gnuplot failed" + (first.empty() ? std::string() : ": " + first));
  }
}

/// One figure: a script drawing into temporary PNG and SVG files, renamed into place on success.
class Figure {
 public:
  Figure(const fs::path& out_dir, const fs::path& work_dir, std::string name)
      : out_dir_(out_dir), work_dir_(work_dir), name_(std::move(name)) {}

  /// Writes the data file `file` (in the work directory) and returns its path.
  std::string data(const std::string& file, const std::string& contents) const {
    const fs::path p = work_dir_ / file;
    std::ofstream(p) << contents;
    return p.string();
  }

  /// Draws `commands` (everything after the terminal and output settings) into both formats.
  std::vector<std::string> draw(const std::string& gnuplot, const std::string& commands) const {
    const std::string tag = ".tmp-" + std::to_string(::getpid());
    const fs::path png = out_dir_ / (name_ + ".png");
    const fs::path svg = out_dir_ / (name_ + ".svg");
    const fs::path png_tmp = out_dir_ / ("." + name_ + ".png" + tag);
    const fs::path svg_tmp = out_dir_ / ("." + name_ + ".svg" + tag);
    std::string script = "set terminal pngcairo size 900,600 font 'sans,10'\n";
    script += "set output " + quoted(png_tmp.string()) + "\n" + commands;
    script += "set terminal svg size 900,600 font 'sans,10' background rgb 'white'\n";
    script += "set output " + quoted(svg_tmp.string()) + "\nreplot\nunset output\n";
    const fs::path script_path = work_dir_ / (name_ + ".gp");
    std::ofstream(script_path) << script;
    try {
      run_gnuplot(gnuplot, script_path.string(), (work_dir_ / (name_ + ".log")).string());
      if (fs::file_size(png_tmp) == 0 || fs::file_size(svg_tmp) == 0)
        throw PlotError("gnuplot wrote an empty " + name_ + " plot");
      fs::rename(png_tmp, png);
      fs::rename(svg_tmp, svg);
    } catch (...) {
      std::error_code ec;
      fs::remove(png_tmp, ec);
      fs::remove(svg_tmp, ec);
      throw;
    }
    return {png.string(), svg.string()};
  }

 private:
  fs::path out_dir_;
  fs::path work_dir_;
  std::string name_;
};

/// Removes the scratch directory however the plotting ends.
struct ScratchDir {
  fs::path path;
  ~ScratchDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

std::string scaling_plot(const ScalingTable& t, const std::string& data, bool efficiency) {
  int max_p = 1;
  for (const auto& pt : t.analysis.points) max_p = std::max(max_p, pt.p);
  std::string s;
  s += "set title " + quoted(t.app + " (" + t.mode + " scaling): " + (efficiency ? "efficiency" : "speedup")) +
       " noenhanced\n";
  s += "set xlabel 'ranks p'\nset ylabel " +
       quoted(efficiency ? (t.mode == "weak" ? "scaled efficiency" : "efficiency")
                         : (t.mode == "weak" ? "scaled speedup" : "speedup")) +
       "\n";
  s += "set grid\nset key top left box opaque\nset xrange [0:" + std::to_string(max_p + 1) + "]\n";
  s += "set xtics 1\n";
  if (max_p > 16) s += "set xtics autofreq\n";
  const int column = efficiency ? 5 : 2;
  s += "set yrange [0:*]\n";
  s += "plot " + quoted(data) + " using 1:" + std::to_string(column) + ":" + std::to_string(column + 1) + ":" +
       std::to_string(column + 2) +
       " with yerrorlines lw 2 pt 7 lc rgb '#1f77b4' title 'measured (median, 95% CI)', ";
  s += efficiency ? "1 with lines dt 2 lw 1.5 lc rgb '#555555' title 'ideal'\n"
                  : "x with lines dt 2 lw 1.5 lc rgb '#555555' title 'ideal (p)'\n";
  return s;
}

}  // namespace

std::vector<std::string> write_plots(const Report& report, const std::string& dir) {
  const std::string gnuplot = find_gnuplot();
  if (gnuplot.empty()) throw UsageError("plots need gnuplot, which is not on PATH (apt-get install gnuplot-nox)");
  fs::create_directories(dir);
  ScratchDir scratch;
  std::string templ = (fs::temp_directory_path() / "multirank-plots-XXXXXX").string();
  if (!::mkdtemp(templ.data())) throw PlotError("cannot create a scratch directory for the plots");
  scratch.path = templ;

  std::vector<std::string> written;
  std::set<std::string> used;
  for (const auto& t : report.tables) {
    std::string base = slug(t.app) + "_" + slug(t.mode);
    for (int k = 2; used.count(base); ++k) base = slug(t.app) + "_" + slug(t.mode) + "_" + std::to_string(k);
    used.insert(base);
    if (!t.analysis.points.empty()) {
      // Columns: p, speedup and its CI, efficiency and its CI (ratios of the median's CI ends).
      std::ostringstream rows;
      rows.precision(10);
      for (const auto& pt : t.analysis.points) {
        const double m = pt.time.median;
        const double lo = pt.time.ci.high > 0 ? m / pt.time.ci.high : 1.0;
        const double hi = pt.time.ci.low > 0 ? m / pt.time.ci.low : 1.0;
        rows << pt.p << ' ' << pt.speedup << ' ' << pt.speedup * lo << ' ' << pt.speedup * hi << ' ' << pt.efficiency
             << ' ' << pt.efficiency * lo << ' ' << pt.efficiency * hi << '\n';
      }
      for (bool efficiency : {false, true}) {
        Figure fig(dir, scratch.path, base + (efficiency ? "_efficiency" : "_speedup"));
        const std::string data = fig.data(base + ".dat", rows.str());
        for (auto& p : fig.draw(gnuplot, scaling_plot(t, data, efficiency))) written.push_back(std::move(p));
      }
    }
    if (t.gantt_profile >= 0) {
      const RunProfile& rp = report.profiles[static_cast<std::size_t>(t.gantt_profile)];
      const double t0 = rp.profile.first_start;
      std::ostringstream rows;
      rows.precision(10);
      int max_rank = std::max(0, rp.p - 1);
      for (const auto& task : rp.tasks) {
        rows << task.rank << ' ' << task.start - t0 << ' ' << task.end - t0 << ' ' << task.task_id << '\n';
        max_rank = std::max(max_rank, task.rank);
      }
      Figure fig(dir, scratch.path, base + "_gantt");
      const std::string data = fig.data(base + "_tasks.dat", rows.str());
      std::string s;
      s += "set title " + quoted(rp.app + ": tasks per rank, " + rp.source + " (p = " + std::to_string(rp.p) + ")") +
           " noenhanced\n";
      s += "set xlabel 'seconds since the first task started'\nset ylabel 'rank'\n";
      s += "set yrange [" + std::to_string(max_rank) + ".6:-0.6]\nset ytics 1\nset grid x\nunset key\n";
      s += "set style fill solid 0.85 border rgb 'black'\n";
      // Light colours (ColorBrewer Set3), so the task ids stay readable on every box.
      const char* colours[] = {"#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5"};
      for (int i = 0; i < 8; ++i) s += "set linetype " + std::to_string(i + 1) + " lc rgb '" + colours[i] + "'\n";
      s += "plot " + quoted(data) + " using (($2+$3)/2):1:(($3-$2)/2):(0.35):(int($4)%8+1) with boxxyerror lc variable";
      if (rp.tasks.size() <= 80) s += ", '' using (($2+$3)/2):1:(sprintf('%d', int($4))) with labels font ',8'";
      s += "\n";
      for (auto& p : fig.draw(gnuplot, s)) written.push_back(std::move(p));
    }
  }
  return written;
}

}  // namespace multirank::study
