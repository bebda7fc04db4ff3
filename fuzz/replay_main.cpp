// The main of the replay programs: feeds each file of the given directories (or the given files)
// to the fuzz target's LLVMFuzzerTestOneInput once, as libFuzzer would, without libFuzzer. A crash
// or a violated invariant aborts, which fails the CTest test; an empty corpus fails it too, so a
// mistyped directory cannot pass silently.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> inputs_of(const std::filesystem::path& argument)
{
    if (!std::filesystem::is_directory(argument)) {
        return {argument};
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(argument)) {
        if (entry.is_regular_file()) {
            files.push_back(entry.path());
        }
    }
    // Sorted, so a failure names the same input on every machine.
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

int main(int argc, char** argv)
{
    std::size_t replayed = 0;
    for (int i = 1; i < argc; ++i) {
        if (!std::filesystem::exists(argv[i])) {
            std::cerr << "replay: " << argv[i] << ": no such file or directory\n";
            return 1;
        }
        for (const auto& file : inputs_of(argv[i])) {
            std::ifstream in(file, std::ios::binary);
            const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
            if (!in.good() && !in.eof()) {
                std::cerr << "replay: cannot read " << file.string() << "\n";
                return 1;
            }
            // Named before running, so the log shows which input crashed.
            std::cerr << "replay: " << file.string() << " (" << bytes.size() << " bytes)\n";
            LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
            ++replayed;
        }
    }
    if (replayed == 0) {
        std::cerr << "replay: no inputs\n";
        return 1;
    }
    std::cerr << "replay: " << replayed << " input(s), no crash\n";
    return 0;
}
