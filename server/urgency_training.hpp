#pragma once
// Training the urgency model (`triagectl rules model train`): reads labelled triage cases (the
// format of `rules test`, docs/rules.md), trains a fastText classifier over the five urgency
// levels deterministically (one thread, fixed seed and order), predicts every case out of fold
// (k-fold cross-validation), chooses the card's thresholds on those predictions for recall first,
// and writes the model and its card. Control plane only: it writes files and takes a minute.

#include <string>
#include <vector>

namespace triage::server {

// The command: `rules model train CASES.jsonl... [--out FILE] [--seed N] [--folds K]
// [--min-recall PCT] [--version V]`. Returns the process exit status.
int urgency_model_train_command(const std::vector<std::string>& args);

}  // namespace triage::server
