#pragma once

// The search loop shared by plugin discovery and managed-plugin lookup. Internal.

#include <volumecli/retry.hpp>

#include <functional>
#include <string>
#include <vector>

namespace volumecli::discovery {

// Calls `search` until it returns true, retrying within `retry`'s window (each retry logged at info
// level, as Docker's plugin getter waits for a plugin that is starting). Throws UnreachableError
// "plugin not found (looked in A, B)", naming the non-empty `places`, when it never does.
void search_with_retries(const std::string& name, const std::vector<std::string>& places, const RetryPolicy& retry,
                         const std::function<bool()>& search);

}  // namespace volumecli::discovery
