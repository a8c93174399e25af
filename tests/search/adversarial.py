"""Query text meant to break a search engine's parser: the behavioural suite and the e2e tests send it all."""

from __future__ import annotations

import random


def adversarial_queries(count: int = 200) -> list[str]:
    """Empty, huge, operators only, unbalanced quotes, wildcards, unicode, SQL- and DSL-looking text."""
    fixed = ["", " ", "\t\n", "*", '"', '""', '"unbalanced', "unbalanced'", "(", ")", "())(", "*\"():^~",
             "AND", "OR", "NOT", "NEAR", "NEAR(a b, 2)", "AND OR NOT", "a AND", "OR b", "-", "--", "+", "^",
             "~", "a*", "*a", "text:hello", "{text}: hello", "posts_fts:hello", "'; DROP TABLE posts; --",
             "1=1", "' OR '1'='1", "\" OR 1=1 --", "%", "_", "%_%", "\\", "\\\\\"", "\x00", "a\x00b",
             '{"query": {"match_all": {}}}', '{"script": "ctx._source"}', "<script>alert(1)</script>",
             "hello" * 200, "x" * 1000, "word " * 200, "é" * 1000, "🙂" * 300, "日本語のテキスト", "مرحبا",
             "ǅ", "\u0301\u0301", "\u200b", "\ufeff", "Ⅻ", "ß", "İstanbul", "a\u0308", "#", "##", "#tag*",
             "@", "@@ada", "ada)", "(ada", "ada\"", "*ada*", "ada^2", "ada~", "title:(a OR b)", "[1 TO 5]",
             "null", "None", "NaN", "-1", "1e309", "\\u0000",
             "\U0001d518\U0001d52b\U0001d526", "\ud7ff", "ﷺ", "\u210c\U0001d522"]
    rng = random.Random(1234)
    alphabet = '*"():^~-+ANDORNOT \\\'%_;{}[]#@!?.,é日🙂\u0301\u200b<>=|&$'
    while len(fixed) < count:
        fixed.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))))
    return fixed[:count]
