// Feeds each transcript in tests/data/flows/*.yaml through advance() (STYLE T2). The format is
// described in docs/flows.md ("Transcripts"). Urgency and intent are injected per patient
// message: the rules engine and the classifier have their own tests.

#include "dialog/engine.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace triage::dialog {
namespace {

std::vector<std::string> transcript_files() {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(testing::source_path("tests/data/flows")))
        if (e.path().extension() == ".yaml") out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

const char* kind_name(action_kind k) {
    switch (k) {
    case action_kind::escalate: return "escalate";
    case action_kind::request_booking: return "request_booking";
    case action_kind::handoff: return "handoff";
    case action_kind::close: return "close";
    }
    return "?";
}

class transcript_runner {
public:
    explicit transcript_runner(std::string file) : file_(std::move(file)) {}

    void run() {
        YAML::Node doc = YAML::LoadFile(testing::source_path("tests/data/flows/" + file_));
        const std::string flow_file = doc["flow"].as<std::string>();
        auto loaded = load_flow(testing::read_source_file("dialog/flows/" + flow_file), flow_file);
        ASSERT_TRUE(loaded.loaded) << flow_file << " does not load";
        flow_ = std::move(*loaded.loaded);
        take(advance(flow_, conversation_state{}, conversation_started{doc["lang"].as<std::string>("en")},
                     testing::fixed_now()));
        ASSERT_TRUE(doc["steps"].IsSequence()) << file_ << ": `steps` must be a list";
        for (const auto& s : doc["steps"]) {
            where_ = file_ + ":" + std::to_string(s.Mark().line + 1);
            run_step(s);
            if (::testing::Test::HasFatalFailure()) return;
        }
        where_ = file_ + ": end";
        expect_all_replies_read();
    }

private:
    void take(step st) {
        state_ = std::move(st.state);
        replies_ = std::move(st.replies);
        actions_ = std::move(st.actions);
        call_ = std::move(st.call);
        next_reply_ = 0;
        last_read_ = nullptr;
    }

    void expect_all_replies_read() {
        for (std::size_t i = next_reply_; i < replies_.size(); ++i)
            ADD_FAILURE() << where_ << ": reply not checked by a `bot` step: \"" << replies_[i].text << "\"";
    }

    const bot_reply* next_reply() {
        if (next_reply_ >= replies_.size()) {
            ADD_FAILURE() << where_ << ": expected another bot reply, there is none";
            return nullptr;
        }
        return last_read_ = &replies_[next_reply_++];
    }

    void run_step(const YAML::Node& s) {
        if (s["user"]) {
            expect_all_replies_read();
            patient_said e = testing::said(s["user"].as<std::string>());
            auto level = rules::urgency_from_string(s["urgency"].as<std::string>("none"));
            ASSERT_TRUE(level) << where_ << ": bad urgency";
            e.assessment.level = *level;
            e.assessment.escalate = s["escalate"].as<bool>(false);
            e.intent.intent = s["intent"].as<std::string>("other");
            // A transcript that names an intent means a confident classifier unless it says otherwise.
            e.intent.confidence = s["confidence"].as<double>(s["intent"] ? 0.9 : 0.0);
            take(advance(flow_, state_, e, testing::fixed_now()));
        } else if (s["call_result"]) {
            // What the server reports after carrying out the step's call.
            expect_all_replies_read();
            const YAML::Node r = s["call_result"];
            call_finished e;
            e.call = r["call"].as<std::string>();
            e.outcome = r["outcome"].as<std::string>();
            for (auto it = r["values"].begin(); r["values"] && it != r["values"].end(); ++it)
                e.values[it->first.as<std::string>()] = it->second.as<std::string>();
            if (r["offers"]) {
                std::vector<offer> offers;
                for (const auto& o : r["offers"])
                    offers.push_back({o["value"].as<std::string>(), o["label"].as<std::string>(), o["data"].as<std::string>("")});
                e.offers = std::move(offers);
            }
            take(advance(flow_, state_, e, testing::fixed_now()));
        } else if (s["call"]) {
            EXPECT_EQ(call_, s["call"].as<std::string>()) << where_;
        } else if (s["bot"]) {
            if (auto* r = next_reply()) {
                EXPECT_EQ(r->text, s["bot"].as<std::string>()) << where_;
            }
        } else if (s["bot_contains"]) {
            if (auto* r = next_reply()) {
                EXPECT_NE(r->text.find(s["bot_contains"].as<std::string>()), std::string::npos)
                    << where_ << ": \"" << r->text << "\"";
            }
        } else if (s["quick_replies"]) {
            ASSERT_NE(last_read_, nullptr) << where_ << ": `quick_replies` must follow a `bot` step";
            std::vector<std::string> values;
            for (const auto& q : last_read_->quick_replies) values.push_back(q.value);
            EXPECT_EQ(values, s["quick_replies"].as<std::vector<std::string>>()) << where_;
        } else if (s["state"]) {
            EXPECT_EQ(state_.current_state, s["state"].as<std::string>()) << where_;
        } else if (s["slot"]) {
            for (auto it = s["slot"].begin(); it != s["slot"].end(); ++it) {
                auto found = state_.slots.find(it->first.as<std::string>());
                ASSERT_NE(found, state_.slots.end()) << where_ << ": slot " << it->first.as<std::string>() << " unset";
                EXPECT_EQ(found->second, it->second.as<std::string>()) << where_;
            }
        } else if (s["no_slot"]) {
            EXPECT_FALSE(state_.slots.count(s["no_slot"].as<std::string>())) << where_;
        } else if (s["actions"]) {
            std::vector<std::string> got, want;
            for (const auto& a : actions_) got.push_back(std::string(kind_name(a.kind)) + ":" + a.reason);
            for (const auto& a : s["actions"])
                want.push_back(a.begin()->first.as<std::string>() + ":" + a.begin()->second.as<std::string>());
            EXPECT_EQ(got, want) << where_;
        } else if (s["action_level"]) {
            auto level = rules::urgency_from_string(s["action_level"].as<std::string>());
            for (const auto& a : actions_) EXPECT_EQ(a.level, level) << where_;
        } else if (s["lang"]) {
            EXPECT_EQ(state_.lang, s["lang"].as<std::string>()) << where_;
        } else if (s["ended"]) {
            EXPECT_EQ(state_.ended, s["ended"].as<bool>()) << where_;
        } else {
            FAIL() << where_ << ": unknown step";
        }
    }

    std::string file_;
    std::string where_;
    flow flow_;
    conversation_state state_;
    std::vector<bot_reply> replies_;
    std::vector<action> actions_;
    std::string call_;
    std::size_t next_reply_ = 0;
    const bot_reply* last_read_ = nullptr;
};

class FlowTranscript : public ::testing::TestWithParam<std::string> {};

TEST_P(FlowTranscript, Passes) { transcript_runner(GetParam()).run(); }

INSTANTIATE_TEST_SUITE_P(Default, FlowTranscript, ::testing::ValuesIn(transcript_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             std::string name = info.param.substr(0, info.param.rfind('.'));
                             std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
                             return name;
                         });

// T2 asks every shipped flow for these four kinds of transcript; a missing one is a failure.
TEST(FlowTranscripts, CoverTheRequiredPaths) {
    auto files = transcript_files();
    for (const char* kind : {"happy", "correction", "cancellation", "red_flag"})
        EXPECT_TRUE(std::any_of(files.begin(), files.end(), [&](const std::string& f) { return f.find(kind) != std::string::npos; }))
            << "no transcript named *" << kind << "*";
    EXPECT_TRUE(std::any_of(files.begin(), files.end(), [](const std::string& f) { return f.find("_es") != std::string::npos; }))
        << "no Spanish transcript";
}

}  // namespace
}  // namespace triage::dialog
