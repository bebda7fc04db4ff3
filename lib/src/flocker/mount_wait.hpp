#pragma once

// Waiting for the cluster to converge after a mount: Flocker accepts a move at once and carries
// it out later, so the driver polls the state until the dataset is here with a path.

#include "core/clock.hpp"
#include "flocker/flocker_client.hpp"

#include <chrono>
#include <string>

namespace volumecli::flocker {

// Polls GET /v1/state/datasets (paced, see pacer.hpp) until it lists `dataset_id` once, on
// `node`, with a path, and returns that path. Throws TimeoutError at `deadline` saying what the
// state showed last (`wait_timeout` is the budget named in the message); the service's other
// errors as they come.
std::string wait_until_mounted(ControlService& service, const std::string& dataset_id, const std::string& node,
                               Clock::time_point deadline, std::chrono::milliseconds wait_timeout);

}  // namespace volumecli::flocker
