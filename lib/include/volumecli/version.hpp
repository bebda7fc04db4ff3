#pragma once

namespace volumecli {

// Release version ("0.3.0") and the git commit the build came from ("unknown" outside git).
const char* version();
const char* git_commit();
const char* git_branch();
const char* build_time();

}  // namespace volumecli
