// STYLE L2: triage_rules and triage_dialog stay pure. Every source file in those folders is
// scanned, so a new file cannot slip past the check.
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace triage::rules {
namespace {

TEST(purity, pure_libraries_use_no_io_network_clock_or_other_layers) {
    const char* forbidden[] = {"boost/asio", "hiredis", "libpq-fe", "server/", "integrations/", "<fstream>",
                               "chrono::system_clock::now"};
    for (const char* folder : {"triage-rules", "dialog"}) {
        int scanned = 0;
        const std::filesystem::path dir = std::filesystem::path(TRIAGE_SOURCE_DIR) / folder;
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            const auto ext = entry.path().extension();
            if (ext != ".cpp" && ext != ".hpp") continue;
            ++scanned;
            const std::string text =
                testing::read_source_file(std::string(folder) + "/" + entry.path().filename().string());
            EXPECT_FALSE(text.empty()) << entry.path();
            for (const char* f : forbidden) {
                EXPECT_EQ(text.find(f), std::string::npos) << entry.path() << " contains " << f;
            }
        }
        EXPECT_GE(scanned, 4) << folder;
    }
}

}  // namespace
}  // namespace triage::rules
