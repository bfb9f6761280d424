#pragma once
/// \file Plots of a report, drawn by gnuplot (Debian's gnuplot-nox) as PNG and SVG.

#include <string>
#include <vector>

#include "multirank/study/report.hpp"

namespace multirank::study {

/// The gnuplot executable found on PATH (or $MULTIRANK_GNUPLOT when set), or "" when there is none.
[[nodiscard]] std::string find_gnuplot();

/// Draws, for every table of `report`, speedup against p with the ideal line, efficiency against
/// p, and when one of its runs kept task records, a Gantt chart of those tasks per rank; each as
/// DIR/<app>_<mode>_{speedup,efficiency,gantt}.{png,svg}. Creates `dir` if needed. Every file is
/// written under a temporary name and renamed into place. Returns the paths written. Throws
/// UsageError when gnuplot is missing, std::runtime_error when it fails.
std::vector<std::string> write_plots(const Report& report, const std::string& dir);

}  // namespace multirank::study
