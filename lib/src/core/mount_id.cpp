#include <volumecli/mount_id.hpp>

#include <volumecli/error.hpp>

#include "core/sha256.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstddef>

namespace volumecli {

std::string random_mount_id()
{
    std::array<unsigned char, 32> bytes{};
    std::size_t filled = 0;
    while (filled < bytes.size()) {
        const ssize_t got = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            throw DriverError("cannot read random bytes for a mount ID");
        }
        filled += static_cast<std::size_t>(got);
    }
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char byte : bytes) {
        out.push_back(k_hex[byte >> 4U]);
        out.push_back(k_hex[byte & 0xfU]);
    }
    return out;
}

std::string default_mount_id(const std::string& driver, const std::string& volume)
{
    std::string material = "dvdcli-mount-id";
    material.push_back('\0');
    material += driver;
    material.push_back('\0');
    material += volume;
    return sha256_hex(material);
}

}  // namespace volumecli
