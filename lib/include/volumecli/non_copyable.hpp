#pragma once

namespace volumecli {

// The base of a type that is neither copied nor moved: an interface used through a pointer, or an
// object others hold by address. Deriving says so in one word instead of four deleted members.
class NonCopyable {
public:
    NonCopyable(const NonCopyable&) = delete;
    NonCopyable& operator=(const NonCopyable&) = delete;
    NonCopyable(NonCopyable&&) = delete;
    NonCopyable& operator=(NonCopyable&&) = delete;

protected:
    NonCopyable() = default;
    ~NonCopyable() = default;
};

}  // namespace volumecli
