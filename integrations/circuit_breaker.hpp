#pragma once
// Stops calling a dependency that keeps failing (the remote intent model, the EHR): after
// `failures_to_open` failures in a row no call is made for `open_for`; then one trial call is
// let through, and its success closes the breaker again while its failure reopens it.

#include <chrono>

namespace triage::integrations {

// runs on: one I/O thread.
class circuit_breaker {
public:
    circuit_breaker(int failures_to_open, std::chrono::steady_clock::duration open_for)
        : threshold_(failures_to_open < 1 ? 1 : failures_to_open), open_for_(open_for) {}

    // False while open: the caller must not call.
    bool allow(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) const noexcept {
        return failures_ < threshold_ || now >= open_until_;
    }
    void succeeded() noexcept { failures_ = 0; }
    // True when this failure opened (or, after a failed trial call, reopened) the breaker.
    bool failed(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) noexcept {
        if (++failures_ < threshold_) return false;
        open_until_ = now + open_for_;
        return true;
    }

private:
    int threshold_;
    std::chrono::steady_clock::duration open_for_;
    int failures_ = 0;
    std::chrono::steady_clock::time_point open_until_{};
};

}  // namespace triage::integrations
