// SPDX-License-Identifier: GPL-2.0-or-later
//
// bench_usbguard - the peer side of "make bench": libusbguard (Debian's
// USBGuard 1.1.2) parsing the generated rule files and judging one device,
// done the way usbguard-daemon does it.
//
//   bench_usbguard [-r REPEAT] FILE...
//
// Parse: the daemon's file rule set reads its file line by line with
// std::getline, hands each line to usbguard::parseRuleFromString(line, "",
// line_number) and appends every non-empty result to the rule set
// (RuleSet::appendRule, which copies the rule into a shared_ptr, numbers it
// and initialises its conditions). We do exactly that into a MemoryRuleSet,
// reading from the file's bytes already in memory (std::istringstream), so
// disk I/O is outside the timing on both sides. The rule set's destruction
// is outside the timing too.
//
// Judge: the daemon turns a device into a "device ..." rule and asks the
// rule set for RuleSet::getFirstMatchingRule(device_rule); when nothing
// applies it gets back a fresh implicit rule (id Rule::ImplicitID) with the
// default target, block. We build the same device rule with
// Rule::fromString and time getFirstMatchingRule.
//
// Output: one line of key=value pairs per file, read by bench/run.sh. The
// stick must match no rule (stick=none) and the control device, which
// differs only in its serial, must match the last rule (control=ok);
// anything else is reported and the exit status is 1.
//
#include <usbguard/MemoryRuleSet.hpp>
#include <usbguard/Rule.hpp>
#include <usbguard/RuleSet.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "bench_device.h"

namespace usbguard
{
// Exported by libusbguard but its header (RuleParser.hpp) is not installed
// by Debian; this is the function the daemon's file loader calls.
Rule parseRuleFromString(const std::string &rule_spec, const std::string &file, size_t line,
			 bool trace);
} // namespace usbguard

using clk = std::chrono::steady_clock;

static double ms_since(clk::time_point t0)
{
	return std::chrono::duration<double, std::milli>(clk::now() - t0).count();
}

static double median(std::vector<double> v)
{
	std::sort(v.begin(), v.end());
	size_t n = v.size();
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static std::unique_ptr<usbguard::MemoryRuleSet> load(const std::string &bytes)
{
	std::unique_ptr<usbguard::MemoryRuleSet> rs(new usbguard::MemoryRuleSet(nullptr));
	std::istringstream stream(bytes);
	std::string line;
	size_t line_number = 0;

	do {
		++line_number;
		std::getline(stream, line);
		const usbguard::Rule rule =
		    usbguard::parseRuleFromString(line, "", line_number, false);
		if (rule)
			rs->appendRule(rule);
	} while (stream.good());
	return rs;
}

// Per-call time in microseconds: the median over batches of calls, each batch
// long enough (BENCH_BATCH_MIN_MS) for the clock to be exact.
template <class F> static double time_per_call_us(F fn)
{
	size_t batch = 1;
	for (;;) {
		clk::time_point t0 = clk::now();
		for (size_t i = 0; i < batch; i++)
			fn();
		double ms = ms_since(t0);
		if (ms >= BENCH_BATCH_MIN_MS || batch >= (1u << 24))
			break;
		batch *= 2;
	}
	std::vector<double> per;
	for (int b = 0; b < BENCH_JUDGE_BATCHES; b++) {
		clk::time_point t0 = clk::now();
		for (size_t i = 0; i < batch; i++)
			fn();
		per.push_back(ms_since(t0) * 1000.0 / (double)batch);
	}
	return median(per);
}

static int bench_file(const char *path, int repeat)
{
	std::ifstream in(path, std::ios::binary);
	if (!in) {
		std::fprintf(stderr, "bench_usbguard: %s: %s\n", path, std::strerror(errno));
		return 1;
	}
	std::stringstream ss;
	ss << in.rdbuf();
	const std::string bytes = ss.str();

	std::vector<double> parse_ms;
	std::unique_ptr<usbguard::MemoryRuleSet> rs;
	for (int i = 0; i < repeat; i++) {
		rs.reset();
		clk::time_point t0 = clk::now();
		rs = load(bytes);
		parse_ms.push_back(ms_since(t0));
	}

	std::vector<std::shared_ptr<const usbguard::Rule>> rules = rs->getRules();
	const size_t count = rules.size();
	const uint32_t last_id = count ? rules.back()->getRuleID() : 0;

	std::shared_ptr<const usbguard::Rule> stick = std::make_shared<const usbguard::Rule>(
	    usbguard::Rule::fromString(BENCH_STICK_RULE(BENCH_STICK_SERIAL)));
	std::shared_ptr<const usbguard::Rule> control = std::make_shared<const usbguard::Rule>(
	    usbguard::Rule::fromString(BENCH_STICK_RULE(BENCH_CONTROL_SERIAL)));

	std::shared_ptr<usbguard::Rule> m = rs->getFirstMatchingRule(stick);
	const bool stick_none = m->getRuleID() == usbguard::Rule::ImplicitID &&
				m->getTarget() == usbguard::Rule::Target::Block;
	std::string stick_txt = stick_none ? "none" : "rule:" + std::to_string(m->getRuleID());

	m = rs->getFirstMatchingRule(control);
	const bool control_ok =
	    count && m->getRuleID() == last_id && m->getTarget() == usbguard::Rule::Target::Allow;
	std::string control_txt = control_ok ? "ok" : "BAD:rule:" + std::to_string(m->getRuleID());

	volatile uint32_t sink = 0;
	double judge_us =
	    time_per_call_us([&] { sink = sink + rs->getFirstMatchingRule(stick)->getRuleID(); });

	std::printf("side=usbguard file=%s rules=%zu parse_ms=%.3f judge_us=%.3f stick=%s "
		    "control=%s control_at=rule-id:%u repeat=%d\n",
		    path, count, median(parse_ms), judge_us, stick_txt.c_str(), control_txt.c_str(),
		    (unsigned)last_id, repeat);
	std::fflush(stdout);
	return stick_none && control_ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	int repeat = 5, opt, rc = 0;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		switch (opt) {
		case 'r':
			repeat = (int)std::strtol(optarg, nullptr, 10);
			break;
		default:
			std::fprintf(stderr, "usage: bench_usbguard [-r REPEAT] FILE...\n");
			return 2;
		}
	}
	if (optind >= argc || repeat < 1 || repeat > 1000) {
		std::fprintf(stderr, "usage: bench_usbguard [-r REPEAT(1..1000)] FILE...\n");
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		try {
			rc |= bench_file(argv[i], repeat);
		} catch (const std::exception &e) {
			std::fprintf(stderr, "bench_usbguard: %s: %s\n", argv[i], e.what());
			rc = 1;
		}
	}
	return rc;
}
