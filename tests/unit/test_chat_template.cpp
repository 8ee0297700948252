// The chat-template interpreter piece by piece: whitespace control, statements, expressions, filters,
// methods, errors that name the line, resource limits against hostile templates, the named built-ins,
// and choosing a template for a GGUF file (its own, a guessed built-in, or an override).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "chat/data.h"
#include "chat/template.h"
#include "core/byte_source.h"
#include "core/error.h"
#include "gguf/file.h"
#include "gguf/writer.h"

namespace chord::chat {
namespace {

const std::vector<Message> kChat = {
    {"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello."}, {"user", "Bye"}};

std::string render(const std::string& source, const std::vector<Message>& messages = kChat,
                   ApplyOptions options = {}) {
    if (!options.bos_token) options.bos_token = "<s>";
    if (!options.eos_token) options.eos_token = "</s>";
    return Template::parse(source).apply(messages, options);
}

std::string render_with(const std::string& source, std::vector<std::pair<std::string, Data>> vars) {
    ApplyOptions options;
    options.variables = std::move(vars);
    return render(source, kChat, options);
}

// The error a template gives, with its code; fails the test when it renders.
Error error_of(const std::string& source, ApplyOptions options = {}) {
    try {
        render(source, kChat, options);
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << "rendered without error: " << source;
    return Error(ErrorCode::Io, "");
}

bool has(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// ---- whitespace ------------------------------------------------------------------------------------

TEST(ChatWhitespace, TrimAndLstripBlocksAreOn) {
    EXPECT_EQ(render("{% if true %}\n  yes\n{% endif %}\nend"), "  yes\nend");
    EXPECT_EQ(render("a\n    {% if true %}b{% endif %}"), "a\nb");
    EXPECT_EQ(render("{# note #}\nx"), "x");
    EXPECT_EQ(render("x {{ 1 }}\ny"), "x 1\ny");  // expressions keep their newline
    EXPECT_EQ(render("one trailing newline is dropped\n"), "one trailing newline is dropped");
}

TEST(ChatWhitespace, DashMarkersStripAllWhitespace) {
    EXPECT_EQ(render("a  \n {{- 'b' -}} \n\n c"), "abc");
    EXPECT_EQ(render("a \n{%- if true -%}\n  b  \n{%- endif %}"), "ab");
    EXPECT_EQ(render("a \n {#- comment -#} \n b"), "ab");
    EXPECT_EQ(render("x\n  {%+ if true %}y{% endif %}"), "x\n  y");  // + keeps the indentation
}

TEST(ChatWhitespace, RawBlocksAreVerbatim) {
    EXPECT_EQ(render("{% raw %}{{ not rendered }} {% if %}{% endraw %}!"), "{{ not rendered }} {% if %}!");
}

// ---- statements -------------------------------------------------------------------------------------

TEST(ChatStatements, IfElifElse) {
    const std::string t =
        "{% for n in [1, 2, 3] %}{% if n == 1 %}one{% elif n == 2 %}two{% else %}many{% endif %},{% endfor "
        "%}";
    EXPECT_EQ(render(t), "one,two,many,");
}

TEST(ChatStatements, LoopVariables) {
    EXPECT_EQ(
        render("{% for m in messages %}{{ loop.index }}/{{ loop.length }}:{{ loop.first }}:{{ loop.last }}:"
               "{{ loop.revindex }}:{{ loop.index0 }} {% endfor %}"),
        "1/4:true:false:4:0 2/4:false:false:3:1 3/4:false:false:2:2 4/4:false:true:1:3 ");
    EXPECT_EQ(render("{% for x in 'abc' %}{{ loop.previtem }}{{ x }}{{ loop.nextitem }};{% endfor %}"),
              "ab;abc;bc;");
}

TEST(ChatStatements, LoopElseFilterBreakContinue) {
    EXPECT_EQ(render("{% for x in [] %}x{% else %}empty{% endfor %}"), "empty");
    EXPECT_EQ(
        render("{% for m in messages if m.role == 'user' %}{{ m.content }}{{ loop.length }} {% endfor %}"),
        "Hi2 Bye2 ");
    EXPECT_EQ(
        render("{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}"
               "{% endif %}{{ i }}{% endfor %}"),
        "013");
}

TEST(ChatStatements, TupleUnpacking) {
    EXPECT_EQ(render("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}"), "a=1;b=2;");
    EXPECT_EQ(render("{% for k, v in {'a': 1, 'b': 2} | dictsort %}{{ k }}={{ v }};{% endfor %}"),
              "a=1;b=2;");
    EXPECT_EQ(render("{% set a, b = 1, 2 %}{{ a + b }}"), "3");
}

TEST(ChatStatements, SetScopesAndNamespaces) {
    // A set inside a loop stays in the loop; a namespace carries values out.
    EXPECT_EQ(render("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}"), "1");
    EXPECT_EQ(render("{% set ns = namespace(x=1, seen=false) %}{% for i in [1, 2] %}{% set ns.x = ns.x + i %}"
                     "{% endfor %}{{ ns.x }} {{ ns.seen }}"),
              "4 false");
    EXPECT_EQ(render("{% set s %}a{{ 1 + 1 }}b{% endset %}[{{ s }}]"), "[a2b]");
    // If does not open a scope.
    EXPECT_EQ(render("{% if true %}{% set y = 'in' %}{% endif %}{{ y }}"), "in");
}

TEST(ChatStatements, MacrosAndCallBlocks) {
    EXPECT_EQ(render("{% macro tag(name, close=false) %}<{{ '/' if close }}{{ name }}>{% endmacro %}"
                     "{{ tag('a') }}{{ tag('a', close=true) }}"),
              "<a></a>");
    EXPECT_EQ(render("{% macro box() %}[{{ caller() }}]{% endmacro %}{% call box() %}inside{% endcall %}"),
              "[inside]");
    EXPECT_EQ(
        render(
            "{% macro m(a) %}{{ a }}{{ kwargs.b }}{{ varargs | length }}{% endmacro %}{{ m(1, 2, 3, b=4) }}"),
        "142");
    // Recursion, as templates use for nested JSON schemas.
    EXPECT_EQ(render("{% macro count(n) %}{{ n }}{% if n > 0 %}{{ count(n - 1) }}{% endif %}{% endmacro %}{{ "
                     "count(3) }}"),
              "3210");
}

TEST(ChatStatements, FilterBlockAndGenerationTags) {
    EXPECT_EQ(render("{% filter upper %}abc{% endfilter %}"), "ABC");
    EXPECT_EQ(render("{% filter trim | upper %}  abc  {% endfilter %}"), "ABC");
    EXPECT_EQ(render("a{% generation %}b{% endgeneration %}c"), "abc");
}

// ---- expressions ------------------------------------------------------------------------------------

TEST(ChatExpressions, LiteralsAndOperators) {
    EXPECT_EQ(render("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} "
                     "{{ 2 ** 10 }}"),
              "7 9 3 -4 1 2 1024");
    EXPECT_EQ(render("{{ 7 / 2 }} {{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e3 }}"),
              "3.5 1.0 0.30000000000000004 1000.0");
    EXPECT_EQ(render("{{ 'a' ~ 1 ~ true ~ none }} {{ 'a' + 'b' }} {{ 'ab' * 2 }} {{ [1] + [2] }}"),
              "a1true ab abab [1, 2]");
    EXPECT_EQ(render("{{ 1 < 2 and 'x' or 'y' }} {{ not 0 }} {{ 0 or '' or 'z' }}"), "x true z");
    EXPECT_EQ(render("{{ 'yes' if 2 in [1, 2] else 'no' }} {{ 'ell' in 'hello' }} {{ 'k' not in {'k': 1} }}"),
              "yes true false");
    EXPECT_EQ(render("{{ {'a': [1, {'b': none}]} }} {{ true }} {{ none }}|"),
              "{\"a\": [1, {\"b\": null}]} true |");
}

TEST(ChatExpressions, SubscriptsAndSlices) {
    EXPECT_EQ(render("{{ messages[0].role }} {{ messages[-1]['content'] }} {{ messages[1:] | length }}"),
              "system Bye 3");
    EXPECT_EQ(render("{% for m in messages[::-1] %}{{ m.content[0] }}{% endfor %}"), "BHHB");
    EXPECT_EQ(render("{{ 'hello'[1:3] }} {{ 'hello'[-3:] }} {{ 'héllo'[:2] }} {{ [1, 2, 3, 4][::2] }}"),
              "el llo hé [1, 3]");
    EXPECT_EQ(render("{{ messages[10] }}|{{ messages[0].missing }}|{{ undefined_name.attr.deeper }}|"),
              "|||");
}

TEST(ChatExpressions, UndefinedIsFalsyAndEmpty) {
    EXPECT_EQ(render("[{{ nothing }}]{% if nothing %}x{% endif %}{% if not nothing %}y{% endif %}"), "[]y");
    EXPECT_EQ(render("{{ tools is none }} {{ nothing is defined }} {{ nothing | default('d') }}"),
              "true false d");
    EXPECT_EQ(render("{{ add_generation_prompt }} {{ bos_token }}{{ eos_token }}"), "true <s></s>");
}

TEST(ChatExpressions, Tests) {
    EXPECT_EQ(
        render(
            "{{ 'a' is string }} {{ 1 is number }} {{ 1.5 is float }} {{ 2 is integer }} {{ {} is mapping }} "
            "{{ [] is iterable }} {{ [] is sequence }} {{ none is none }} {{ true is boolean }}"),
        "true true true true true true true true true");
    EXPECT_EQ(render("{{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby(3) }} {{ 'ab' is lower }} {{ 'a' is "
                     "eq 'a' }} "
                     "{{ namespace() is mapping }} {{ 1 is not string }}"),
              "true true true true true false true");
}

// ---- filters ------------------------------------------------------------------------------------------

TEST(ChatFilters, ToJsonMatchesPythonSpacing) {
    EXPECT_EQ(render("{{ {'a': 1, 'b': [true, none, 'x\"y'], 'c': 1.5} | tojson }}"),
              "{\"a\": 1, \"b\": [true, null, \"x\\\"y\"], \"c\": 1.5}");
    EXPECT_EQ(render("{{ {'a': [1, 2], 'e': {}} | tojson(indent=2) }}"),
              "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"e\": {}\n}");
    EXPECT_EQ(render("{{ 'é\n\t' | tojson }} {{ 'é😀' | tojson(ensure_ascii=true) }}"),
              "\"é\\n\\t\" \"\\u00e9\\ud83d\\ude00\"");
    EXPECT_EQ(render("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true, separators=(',', ':')) }}"),
              "{\"a\":2,\"b\":1}");
}

TEST(ChatFilters, StringFilters) {
    EXPECT_EQ(
        render("[{{ '  a b \n' | trim }}] {{ 'ab' | upper }} {{ 'AB' | lower }} {{ 'hello wORLD' | title }} "
               "{{ 'hELLO' | capitalize }}"),
        "[a b] AB ab Hello World Hello");
    EXPECT_EQ(render("{{ 'aXbXc' | replace('X', '-') }} {{ 'aXbXc' | replace('X', '-', 1) }} {{ 'ab' | "
                     "replace('', '.') }}"),
              "a-b-c a-bXc .a.b.");
    EXPECT_EQ(render("{{ 'a\nb\n\nc' | indent(2) }}|{{ 'a\nb' | indent(2, first=true) }}"),
              "a\n  b\n\n  c|  a\n  b");
    EXPECT_EQ(
        render("{{ '42' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ '2.5' | float }} {{ 3.9 | int }}"),
        "42 0 7 2.5 3");
    EXPECT_EQ(render("{{ 'abc' | length }} {{ 'héllo' | length }} {{ 'abc' | list }} {{ 'abc' | first }}"),
              "3 5 [\"a\", \"b\", \"c\"] a");
}

TEST(ChatFilters, SequenceFilters) {
    EXPECT_EQ(render("{{ messages | map(attribute='role') | join(', ') }}"), "system, user, assistant, user");
    EXPECT_EQ(
        render("{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | list }}"),
        "[\"Hi\", \"Bye\"]");
    EXPECT_EQ(render("{{ messages | rejectattr('role', 'in', ['user', 'system']) | length }}"), "1");
    EXPECT_EQ(
        render("{{ [3, 1, 2] | sort }} {{ ['b', 'A', 'c'] | sort(reverse=true) }} {{ [1, 2, 1] | unique }}"),
        "[1, 2, 3] [\"c\", \"b\", \"A\"] [1, 2]");
    EXPECT_EQ(render("{{ [1, 2] | first }} {{ [1, 2] | last }} {{ [] | first }}|{{ [4, 2, 8] | min }} {{ [4, "
                     "2, 8] | max }} "
                     "{{ [1, 2, 3] | sum }} {{ ['a', 'b'] | map('upper') | join }} {{ [1, 2, 3, 4] | "
                     "select('odd') | list }}"),
              "1 2 |2 8 6 AB [1, 3]");
    EXPECT_EQ(render("{{ {'b': 1, 'a': 2} | items | list }} {{ {'b': 1, 'a': 2} | dictsort(by='value') }}"),
              "[[\"b\", 1], [\"a\", 2]] [[\"b\", 1], [\"a\", 2]]");
    EXPECT_EQ(
        render("{{ none | default('x') }}|{{ '' | default('x', true) }}|{{ 0 | default(5, boolean=true) }}"),
        "|x|5");
    EXPECT_EQ(render("{{ '{\"a\": [1, 2.5, \"x\"]}' | from_json | tojson }}"), "{\"a\": [1, 2.5, \"x\"]}");
}

// ---- methods ------------------------------------------------------------------------------------------

TEST(ChatMethods, StringMethods) {
    EXPECT_EQ(render("[{{ '  x  '.strip() }}][{{ '  x  '.lstrip() }}][{{ '  x  '.rstrip() }}][{{ '\n\n "
                     "x\n'.strip('\n') }}]"),
              "[x][x  ][  x][ x]");
    EXPECT_EQ(
        render(
            "{{ 'a<think>b</think>c'.split('</think>') }} {{ 'a b  c'.split() }} {{ 'a,b,c'.split(',', 1) }} "
            "{{ 'a,b,c'.rsplit(',', 1) }}"),
        "[\"a<think>b\", \"c\"] [\"a\", \"b\", \"c\"] [\"a\", \"b,c\"] [\"a,b\", \"c\"]");
    EXPECT_EQ(render("{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'bc')) }} {{ 'ab'.upper() }} "
                     "{{ 'aXa'.replace('a', 'b') }} {{ 'abcabc'.find('c') }} {{ 'abcabc'.count('bc') }}"),
              "true true AB bXb 2 2");
    EXPECT_EQ(
        render("{{ '<tag{}>'.format(':x') }} {{ '{0}-{1}-{0}'.format('a', 'b') }} {{ '{n}!'.format(n=1) }} "
               "{{ '{{}}'.format() }} {{ ', '.join(['a', 'b']) }}"),
        "<tag:x> a-b-a 1! {} a, b");
}

TEST(ChatMethods, DictAndListMethods) {
    EXPECT_EQ(
        render(
            "{{ messages[0].get('role') }} {{ messages[0].get('nope', 'd') }} {{ messages[0].get('nope') }}|"
            "{{ messages[0].keys() | list }} {{ {'a': 1}.values() | list }}"),
        "system d |[\"role\", \"content\"] [1]");
    EXPECT_EQ(render("{% set ns = namespace(q=[]) %}{% set _ = ns.q.append(1) %}{% set _ = ns.q.append(2) %}"
                     "{{ ns.q.pop(0) }}{{ ns.q }}"),
              "1[2]");
}

TEST(ChatGlobals, RangeNamespaceStrftime) {
    EXPECT_EQ(render("{{ range(3) | list }} {{ range(1, 7, 2) | list }} {{ range(3, 0, -1) | list }}"),
              "[0, 1, 2] [1, 3, 5] [3, 2, 1]");
    ApplyOptions options;
    options.now = DateTime{2024, 2, 29, 9, 7, 3};
    EXPECT_EQ(render("{{ strftime_now('%Y-%m-%d %H:%M:%S %b %B %a %A %j %I%p %d %%') }}", kChat, options),
              "2024-02-29 09:07:03 Feb February Thu Thursday 060 09AM 29 %");
}

TEST(ChatGlobals, ExtraVariablesOverrideDefaults) {
    EXPECT_EQ(render_with("{{ enable_thinking }} {{ tools | length }} {{ extra.k }}",
                          {{"enable_thinking", false},
                           {"tools", Data::list({Data::object({{"name", "f"}})})},
                           {"extra", Data::object({{"k", 1.5}})}}),
              "false 1 1.5");
}

// ---- errors ---------------------------------------------------------------------------------------------

TEST(ChatErrors, RaiseExceptionCarriesTheMessage) {
    const Error e = error_of("line one\n{{ raise_exception('Conversation roles must alternate') }}");
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_TRUE(has(e.what(), ":2:")) << e.what();
    EXPECT_TRUE(has(e.what(), "raise_exception: Conversation roles must alternate")) << e.what();
}

TEST(ChatErrors, SyntaxErrorsNameLineAndColumn) {
    Error e = error_of("ok\n{% if x %}\nnever closed");
    EXPECT_EQ(e.code(), ErrorCode::Format);
    EXPECT_TRUE(has(e.what(), "chat template:2:4:")) << e.what();
    EXPECT_TRUE(has(e.what(), "endif")) << e.what();
    e = error_of("{{ 1 + }}");
    EXPECT_EQ(e.code(), ErrorCode::Format);
    EXPECT_TRUE(has(e.what(), "1:8:")) << e.what();
    e = error_of("{{ 'unterminated }}");
    EXPECT_TRUE(has(e.what(), "unterminated string")) << e.what();
    e = error_of("a\n\n  {{ x ");
    EXPECT_TRUE(has(e.what(), "3:3:")) << e.what();
    e = error_of("{% endfor %}");
    EXPECT_TRUE(has(e.what(), "endfor")) << e.what();
    e = error_of("{% for x in y %}{% endfor %}{% break %}");
    EXPECT_TRUE(has(e.what(), "outside a for loop")) << e.what();
}

TEST(ChatErrors, UnsupportedConstructsAreNamed) {
    Error e = error_of("a\n{% include 'other.jinja' %}");
    EXPECT_EQ(e.code(), ErrorCode::Unsupported);
    EXPECT_TRUE(has(e.what(), ":2:4:")) << e.what();
    EXPECT_TRUE(has(e.what(), "include")) << e.what();
    e = error_of("\n\n{{ 'x' | frobnicate }}");
    EXPECT_EQ(e.code(), ErrorCode::Unsupported);
    EXPECT_TRUE(has(e.what(), ":3:")) << e.what();
    EXPECT_TRUE(has(e.what(), "unknown filter 'frobnicate'")) << e.what();
    e = error_of("{{ 'x'.frobnicate() }}");
    EXPECT_TRUE(has(e.what(), "string has no method 'frobnicate'")) << e.what();
    e = error_of("{{ 1 is frobnicated }}");
    EXPECT_TRUE(has(e.what(), "unknown test 'frobnicated'")) << e.what();
    e = error_of("{% for x in y recursive %}{% endfor %}");
    EXPECT_EQ(e.code(), ErrorCode::Unsupported);
}

TEST(ChatErrors, RuntimeErrorsNameTheExpression) {
    Error e = error_of("{% set x = 1 %}\n{{ x.y.z }}{{ 'a' - 1 }}");
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_TRUE(has(e.what(), ":2:")) << e.what();
    EXPECT_TRUE(has(e.what(), "unsupported operand types for -: string and integer")) << e.what();
    e = error_of("{% set x = {} %}{% set x.a = 1 %}");
    EXPECT_TRUE(has(e.what(), "namespace")) << e.what();
    e = error_of("{{ undefined_function() }}");
    EXPECT_TRUE(has(e.what(), "'undefined_function' is undefined")) << e.what();
    e = error_of("{% for x in none %}{% endfor %}");
    EXPECT_TRUE(has(e.what(), "cannot iterate over none")) << e.what();
    e = error_of("{{ 1 // 0 }}");
    EXPECT_TRUE(has(e.what(), "division by zero")) << e.what();
}

// ---- limits ---------------------------------------------------------------------------------------------

ApplyOptions small_limits() {
    ApplyOptions options;
    options.limits.max_output_bytes = 1 << 16;
    options.limits.max_memory_bytes = 1 << 20;
    options.limits.max_steps = 100'000;
    options.limits.max_depth = 100;
    return options;
}

TEST(ChatLimits, HostileTemplatesStopWithAnError) {
    const char* hostile[] = {
        "{% for i in range(1000000000) %}{% endfor %}",
        "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
        "{{ 'x' * 1000000000 }}",
        "{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        "{% for i in range(100000) %}xxxxxxxxxxxxxxxx{% endfor %}",
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        "{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(0) }}",
        "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set _ = ns.l.append(i) %}{% endfor %}",
        "{% set ns = namespace(x=[]) %}{% for i in range(70) %}{% set ns.x = [ns.x, ns.x] %}{% endfor %}{{ "
        "ns.x }}",
        "{% set ns = namespace(x=[]) %}{% for i in range(70) %}{% set ns.x = [ns.x, ns.x] %}{% endfor %}"
        "{{ ns.x == ns.x[0] }}",
        "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns | tojson }}",
        "{{ [1] * 1000000000 }}",
        // Many distinct large strings kept alive at once: in a list, and in the scopes of a recursion.
        "{% set ns = namespace(l=[]) %}{% for i in range(100) %}{% set ns.l = ns.l + ['x' * 60000 ~ i] %}"
        "{% endfor %}",
        "{% macro f(n) %}{% set big = 'x' * 60000 ~ n %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        "{% for c in 'x' * 60000 %}{% for d in 'y' * 60000 %}{% endfor %}{% endfor %}",
    };
    for (const char* t : hostile) {
        try {
            render(t, kChat, small_limits());
            ADD_FAILURE() << "rendered: " << t;
        } catch (const Error& e) {
            EXPECT_TRUE(e.code() == ErrorCode::OutOfMemory || e.code() == ErrorCode::Unsupported)
                << t << ": " << e.what();
        }
    }
}

TEST(ChatLimits, ValuesThatOutliveTheirScopeAreSafe) {
    // `caller` kept past its {% call %} block: its scope is gone, so calling it is an error.
    const Error e = error_of(
        "{% set ns = namespace() %}{% macro m() %}{% set ns.c = caller %}{% endmacro %}"
        "{% call m() %}x{% endcall %}{{ ns.c() }}");
    EXPECT_TRUE(has(e.what(), "caller() used after")) << e.what();
    // A loop's `loop` kept past the loop still reads (its last values).
    EXPECT_EQ(render("{% set ns = namespace() %}{% for i in [1, 2] %}{% set ns.l = loop %}{% endfor %}{{ "
                     "ns.l.index }}"),
              "2");
}

TEST(ChatLimits, DeepNestingIsRefusedWhileParsing) {
    const std::string parens = "{{ " + std::string(10000, '(') + "1" + std::string(10000, ')') + " }}";
    EXPECT_EQ(error_of(parens).code(), ErrorCode::Unsupported);
    std::string chain = "{{ 1";
    for (int i = 0; i < 10000; ++i) chain += " + 1";
    EXPECT_EQ(error_of(chain + " }}").code(), ErrorCode::Unsupported);
    std::string ifs;
    for (int i = 0; i < 1000; ++i) ifs += "{% if true %}";
    EXPECT_EQ(error_of(ifs).code(), ErrorCode::Unsupported);
    EXPECT_EQ(error_of("{{ " + std::string(10000, '-') + "1 }}").code(), ErrorCode::Unsupported);
}

// ---- built-ins and model templates ------------------------------------------------------------------

std::string apply_builtin(const std::string& name, bool gen = true) {
    ApplyOptions options;
    options.add_generation_prompt = gen;
    options.bos_token = "<s>";
    options.eos_token = "</s>";
    return Template::builtin(name).apply(kChat, options);
}

TEST(ChatBuiltins, EachFormatRendersItsFamilyLayout) {
    EXPECT_EQ(
        apply_builtin("chatml"),
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        "Hello.<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n");
    EXPECT_EQ(apply_builtin("llama2"),
              "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello. </s><s>[INST] Bye [/INST]");
    EXPECT_EQ(
        apply_builtin("llama3"),
        "<s><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user"
        "<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|><|start_header_id|>assistant<|end_header_"
        "id|>\n\n");
    EXPECT_EQ(apply_builtin("mistral"), "<s>[INST] Be brief.\n\nHi [/INST]Hello.</s>[INST] Bye [/INST]");
    EXPECT_EQ(apply_builtin("zephyr"),
              "<|system|>\nBe "
              "brief.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello.</s>\n<|user|>\nBye</s>\n<|assistant|>\n");
    EXPECT_EQ(apply_builtin("phi3"),
              "<|system|>\nBe "
              "brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello.<|end|>\n<|user|>\nBye<|end|>\n"
              "<|assistant|>\n");
    EXPECT_EQ(apply_builtin("phi3", false).substr(apply_builtin("phi3", false).size() - 15),
              "Bye<|end|>\n</s>");
    EXPECT_EQ(
        apply_builtin("gemma"),
        "<s><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n"
        "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n");
    EXPECT_EQ(Template::builtin("chatml").apply({{"user", "Hi"}}),
              "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    EXPECT_EQ(Template::builtin_names().size(), 7u);
    EXPECT_THROW(Template::builtin("nope"), Error);
}

gguf::File gguf_with(const std::vector<std::pair<std::string, gguf::Value>>& kvs) {
    gguf::Writer w;
    for (const auto& [k, v] : kvs) w.set(k, v);
    return gguf::File::parse(own_bytes(w.write_buffer()));
}

TEST(ChatFromGguf, UsesTheFileTemplateAndItsSpecialTokens) {
    const gguf::File f =
        gguf_with({{"general.architecture", gguf::Value::string("llama")},
                   {"tokenizer.ggml.tokens", gguf::Value::string_array({"<unk>", "<s>", "</s>", "a"})},
                   {"tokenizer.ggml.bos_token_id", gguf::Value::scalar<uint32_t>(1)},
                   {"tokenizer.ggml.eos_token_id", gguf::Value::scalar<uint32_t>(2)},
                   {"tokenizer.chat_template",
                    gguf::Value::string("{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}"
                                        "{{ eos_token }}")}});
    const Template t = Template::from_gguf(f);
    EXPECT_EQ(t.origin(), "tokenizer.chat_template");
    EXPECT_EQ(t.bos_token(), "<s>");
    EXPECT_EQ(t.apply(kChat), "<s>Be brief.HiHello.Bye</s>");
    EXPECT_TRUE(has(Template::from_gguf(f, "chatml").apply(kChat), "<|im_start|>"));
}

TEST(ChatFromGguf, GuessesABuiltinFromTheVocabulary) {
    const auto guess = [](std::vector<std::string> tokens, const char* arch) {
        return Template::from_gguf(
                   gguf_with({{"general.architecture", gguf::Value::string(arch)},
                              {"tokenizer.ggml.tokens", gguf::Value::string_array(std::move(tokens))}}))
            .origin();
    };
    EXPECT_EQ(guess({"a", "<|im_start|>"}, "qwen2"), "built-in template 'chatml'");
    EXPECT_EQ(guess({"a", "<|eot_id|>"}, "llama"), "built-in template 'llama3'");
    EXPECT_EQ(guess({"a", "<start_of_turn>"}, "gemma"), "built-in template 'gemma'");
    EXPECT_EQ(guess({"a", "<|end|>"}, "phi3"), "built-in template 'phi3'");
    EXPECT_EQ(guess({"a", "[INST]"}, "llama"), "built-in template 'mistral'");
    EXPECT_EQ(guess({"a", "b"}, "llama"), "built-in template 'llama2'");
    EXPECT_EQ(guess({"a", "b"}, "gpt2"), "built-in template 'chatml'");
}

TEST(ChatFromGguf, OverrideByFile) {
    const gguf::File f = gguf_with({{"general.architecture", gguf::Value::string("llama")}});
    const std::string path = testing::TempDir() + "chord_chat_override.jinja";
    {
        std::ofstream out(path);
        out << "{% for m in messages %}[{{ m.role }}]{% endfor %}";
    }
    const Template t = Template::from_gguf(f, path);
    EXPECT_EQ(t.origin(), path);
    EXPECT_EQ(t.apply(kChat), "[system][user][assistant][user]");
    std::remove(path.c_str());
    try {
        Template::from_gguf(f, "/no/such/template.jinja");
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
        EXPECT_TRUE(has(e.what(), "chatml")) << e.what();  // lists the built-ins
    }
}

// Every template carried by llama.cpp's test vocabularies renders a conversation.
TEST(ChatFromGguf, RealVocabularyTemplatesRender) {
    size_t rendered = 0;
    for (const char* name : {"phi-3", "qwen2", "qwen35", "command-r", "gemma-4", "llama-spm", "llama-bpe"}) {
        const std::string path = std::string(CHORD_TESTDATA_DIR) + "/vocab/ggml-vocab-" + name + ".gguf";
        if (!std::ifstream(path).good()) continue;
        const Template t = Template::from_gguf(gguf::File::open(path));
        const std::vector<Message> chat = {{"user", "Hi"}, {"assistant", "Hello."}, {"user", "Bye"}};
        const std::string text = t.apply(chat);
        EXPECT_TRUE(has(text, "Hello.") && has(text, "Bye")) << name << ": " << text;
        ++rendered;
    }
    if (rendered == 0) GTEST_SKIP() << "no test vocabularies (run tools/fetch-testdata.sh)";
}

TEST(ChatData, JsonReader) {
    const Data d =
        parse_json(R"( {"a": [1, -2.5e1, "x\u00e9\ud83d\ude00\n"], "b": {"c": null, "d": true}} )");
    EXPECT_EQ(d.find("a")->items()[0].as_int(), 1);
    EXPECT_EQ(d.find("a")->items()[1].as_float(), -25.0);
    EXPECT_EQ(d.find("a")->items()[2].as_string(), "x\xc3\xa9\xf0\x9f\x98\x80\n");
    EXPECT_TRUE(d.find("b")->find("c")->is_null());
    EXPECT_THROW(parse_json("[1, 2"), Error);
    EXPECT_THROW(parse_json("{\"a\" 1}"), Error);
    EXPECT_THROW(parse_json(std::string(1000, '[')), Error);
}

}  // namespace
}  // namespace chord::chat
