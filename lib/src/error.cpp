#include <volumecli/error.hpp>

namespace volumecli {

void rethrow_with_context(const Error& current, const std::string& prefix)
{
    const std::string message = prefix + current.what();
    // Ordered most-derived first so the exit code survives the rewrap.
    if (dynamic_cast<const TransportError*>(&current) != nullptr) {
        throw TransportError(message);
    }
    if (dynamic_cast<const UnreachableError*>(&current) != nullptr) {
        throw UnreachableError(message);
    }
    if (dynamic_cast<const TimeoutError*>(&current) != nullptr) {
        throw TimeoutError(message);
    }
    if (dynamic_cast<const ProtocolError*>(&current) != nullptr) {
        throw ProtocolError(message);
    }
    if (dynamic_cast<const UsageError*>(&current) != nullptr) {
        throw UsageError(message);
    }
    throw DriverError(message);
}

}  // namespace volumecli
