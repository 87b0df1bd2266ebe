#pragma once
// The intent classifier in force. A reload (SIGHUP) swaps it whole while turns keep running: a
// turn takes the classifier once and uses that one throughout, so one message is never judged
// by two models.

#include "dialog/intent.hpp"

#include <atomic>
#include <memory>

namespace triage::server {

// runs on: any thread.
class intent_source {
public:
    explicit intent_source(std::shared_ptr<const dialog::intent_classifier> first) : current_(std::move(first)) {}

    std::shared_ptr<const dialog::intent_classifier> current() const { return current_.load(); }
    void replace(std::shared_ptr<const dialog::intent_classifier> next) { current_.store(std::move(next)); }

private:
    std::atomic<std::shared_ptr<const dialog::intent_classifier>> current_;
};

}  // namespace triage::server
