// The library logs retries and name substitutions at info level through spdlog's default
// logger, which writes to stdout; keep the test reporter's output readable.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include <spdlog/spdlog.h>

namespace {

class QuietLogs final : public Catch::TestEventListenerBase {
public:
    using TestEventListenerBase::TestEventListenerBase;

    void testRunStarting(const Catch::TestRunInfo& /*info*/) override { spdlog::set_level(spdlog::level::off); }
};

}  // namespace

CATCH_REGISTER_LISTENER(QuietLogs)
