#pragma once

// One check in progress: its notes decide its status (a failure outranks a warning). Internal to
// the check runner.

#include <string>
#include <vector>

namespace volumecli::check {

class Verdict {
public:
    void fail(const std::string& note)
    {
        m_notes.push_back(note);
        m_failed = true;
    }
    void warn(const std::string& note)
    {
        m_notes.push_back(note);
        m_warned = true;
    }
    [[nodiscard]] bool failed() const { return m_failed; }
    [[nodiscard]] bool warned() const { return m_warned; }
    [[nodiscard]] const std::vector<std::string>& notes() const { return m_notes; }

private:
    std::vector<std::string> m_notes;
    bool m_failed = false;
    bool m_warned = false;
};

}  // namespace volumecli::check
