#pragma once

#include <catch2/catch.hpp>

#include <exception>
#include <string>

namespace volumecli::test {

// The message of the `E` that `action` throws; fails the test when it throws nothing or another type.
template <typename E, typename Action>
std::string thrown(Action&& action)
{
    try {
        action();
    } catch (const E& error) {
        return error.what();
    } catch (const std::exception& error) {
        FAIL("threw another type: " << error.what());
    }
    FAIL("threw nothing");
    return {};
}

}  // namespace volumecli::test
