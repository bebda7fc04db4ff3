#include "core/unique_fd.hpp"

#include <unistd.h>

namespace volumecli::detail {

UniqueFd::~UniqueFd()
{
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept
{
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = other.release();
    }
    return *this;
}

}  // namespace volumecli::detail
