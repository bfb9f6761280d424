// `multirank report FILE.h5... [--plots DIR] [--format table|markdown|json]`: scaling tables,
// concurrency profiles and gnuplot plots from study files (see docs/hdf5-schema.md).
// `multirank report NEW.h5... --reference OLD.h5 [--tolerance 10%]`: the regression gate
// (compare.hpp), exit 1 when any key got slower.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "multirank/core/error.hpp"
#include "multirank/core/output_file.hpp"
#include "multirank/study/compare.hpp"
#include "multirank/study/plots.hpp"
#include "multirank/study/report.hpp"
#include "multirank/study/study_file.hpp"
#include "registry.hpp"

namespace multirank::cli {
namespace {

struct ReportOptions {
  std::vector<std::string> files;
  std::string plots;
  std::string format = "table";
  std::vector<std::string> reference;
  std::string tolerance = "10%";
  std::vector<study::StudyFile> loaded;  // read once by validate, on rank 0
  study::Report report;                  // built by validate, on rank 0 (a bad value is a usage error there)
  study::Gate gate;                      // with --reference: computed by validate, on rank 0
};

Action setup(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  app.add_option("files", o->files, "study files written by `multirank study` or an app's --output")
      ->required()
      ->type_name("FILE.h5");
  app.add_option("--plots", o->plots, "write speedup, efficiency and Gantt plots (PNG and SVG) into DIR")
      ->type_name("DIR");
  app.add_option("--format", o->format, "table (default), markdown or json")
      ->check(CLI::IsMember({"table", "markdown", "json"}));
  app.add_option("--reference", o->reference,
                 "the regression gate: compare every run key (app, mode, metric, options or program arguments, p) "
                 "with this study file's; exit 1 when any got slower")
      ->type_name("OLD.h5");
  app.add_option("--tolerance", o->tolerance,
                 "--reference: slower when the ratio's 95% interval lies above 1 + this, faster below 1/(1 + this)")
      ->capture_default_str();
  return Action{
      [o](const Communicator& world) {
        // Only rank 0 reports; a refusal there makes every rank exit with 2.
        if (world.rank() != 0) return;
        (void)study::parse_report_format(o->format);
        if (!o->plots.empty()) {
          std::error_code ec;
          if (std::filesystem::exists(o->plots, ec) && !std::filesystem::is_directory(o->plots, ec))
            throw UsageError("--plots " + o->plots + " exists and is not a directory");
          if (study::find_gnuplot().empty())
            throw UsageError("--plots needs gnuplot, which is not on PATH (apt-get install gnuplot-nox)");
          // The plots go into DIR: one that cannot be written is found before anything is read.
          if (std::filesystem::is_directory(o->plots, ec)) check_output_folder(o->plots + "/speedup.png", "plots in");
          else check_output_folder(o->plots, "--plots folder");
        }
        if (o->reference.empty() && o->tolerance != "10%") throw UsageError("--tolerance goes with --reference OLD.h5");
        const double tolerance = study::parse_tolerance(o->tolerance);
        o->loaded.clear();
        for (const auto& f : o->files) o->loaded.push_back(study::read_study(f));
        // The same run written twice (a resumed study, a copied file) counts once.
        auto note = [](const std::string& n) { std::fprintf(stderr, "multirank report: note: %s\n", n.c_str()); };
        for (const auto& n : study::drop_repeated_runs(o->loaded)) note(n);
        if (!o->reference.empty()) {
          std::vector<study::StudyFile> reference;
          for (const auto& f : o->reference) reference.push_back(study::read_study(f));
          for (const auto& n : study::drop_repeated_runs(reference)) note(n);
          o->gate = study::compare_studies(o->loaded, reference, tolerance);  // no comparable run: exit 2
        }
        try {
          o->report = study::build_report(o->loaded);
        } catch (const std::exception& e) {
          throw UsageError(std::string("cannot report on these files: ") + e.what());
        }
      },
      [o](const Communicator& world) {
        if (world.rank() != 0) return 0;
        const study::Report& report = o->report;
        std::vector<std::string> plots;
        if (!o->plots.empty()) plots = study::write_plots(report, o->plots);
        const study::ReportFormat format = study::parse_report_format(o->format);
        if (!o->reference.empty()) {
          // The gate's table only: it is what a CI job reads (and its exit code).
          std::string text = study::format_gate(o->gate, format);
          if (format != study::ReportFormat::json)
            for (const auto& p : plots) text += "plot: " + p + "\n";
          std::fwrite(text.data(), 1, text.size(), stdout);
          std::fflush(stdout);
          return o->gate.any_slower() ? 1 : 0;
        }
        const std::string text = study::format_report(report, format, plots);
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        return 0;
      }};
}

const Register registered{{"report", "tables, concurrency profiles and plots from study files", setup}};

}  // namespace
}  // namespace multirank::cli
