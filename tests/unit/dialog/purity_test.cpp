// STYLE L2: triage_dialog stays pure. Cheap to run and it cannot drift: any new source file in
// dialog/ is scanned too.

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace triage::dialog {
namespace {

TEST(DialogPurity, NoIoClocksOrOtherLayers) {
    const char* forbidden[] = {
        "boost/asio", "hiredis", "libpq-fe", "\"server/", "\"integrations/",  // other layers, network
        "<fstream>", "<iostream>", "fopen", "std::cout", "std::cerr", "LoadFile",  // file and console I/O
        "::now()", "time(nullptr)", "getenv", "<random>", "rand()",                // clocks, environment, RNG
    };
    int scanned = 0;
    for (const auto& e : std::filesystem::directory_iterator(testing::source_path("dialog"))) {
        auto ext = e.path().extension();
        if (ext != ".cpp" && ext != ".hpp") continue;
        ++scanned;
        std::string text = testing::read_source_file("dialog/" + e.path().filename().string());
        for (const char* f : forbidden)
            EXPECT_EQ(text.find(f), std::string::npos) << e.path().filename() << " contains " << f;
    }
    EXPECT_GE(scanned, 10);
}

}  // namespace
}  // namespace triage::dialog
