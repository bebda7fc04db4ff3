#pragma once

#include "options.hpp"

#include <volumecli/conformance.hpp>
#include <volumecli/operations.hpp>
#include <volumecli/volume.hpp>

#include <string>
#include <vector>

namespace volumecli::cli {

// Renders results for stdout: exactly the result, nothing else. Text output never carries a
// control character: render_volume and render_list throw ProtocolError for a name that is empty,
// not UTF-8 or holds one (JSON escapes it).
std::string render_mount(const MountResult& result, OutputFormat format);
std::string render_volume(const Volume& volume, OutputFormat format);
std::string render_list(const std::vector<Volume>& volumes, OutputFormat format);
std::string render_capabilities(const Capabilities& capabilities, OutputFormat format);
std::string render_created(const std::string& name, OutputFormat format);
// dvdcli check's report: a table of checks (ID, status, milliseconds, reasons), the cleanup and a verdict.
std::string render_check(const CheckReport& report, OutputFormat format);
// dvdcli's six-line version report.
std::string render_version();

}  // namespace volumecli::cli
