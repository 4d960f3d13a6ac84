"""Plain environment variables: no secrets in them, and within Lambda's 4 KB.

A variable whose *name* looks like a secret (``DB_PASSWORD``, ``apiKey``, ``AUTH_TOKEN``, ...) is
refused: its value would sit in plain text in the template, the task definition or the function
configuration. Secrets go through ``secrets=`` (containers: ``ecs.Secret`` from Secrets Manager
or an SSM SecureString) or, for functions, a reference the code resolves at run time (the
secret's ARN or name in a variable named for the reference, such as ``DB_PASSWORD_SECRET_ARN``,
with read access granted). A value that only *looks* secret by name is acknowledged by wrapping
it: ``{"TOKEN_URL": NotASecret("https://auth.example.com/token")}``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping

from ._validation import InvalidPropError, is_token

__all__ = [
    "LAMBDA_ENVIRONMENT_LIMIT",
    "NotASecret",
    "check_function_environment",
    "check_no_plain_secrets",
    "environment_bytes",
    "plain",
    "secret_like",
    "secret_like_names",
]

#: Lambda's limit on a function's environment: the names and values together, in bytes.
LAMBDA_ENVIRONMENT_LIMIT = 4096

#: Name segments (or adjacent pairs) that say the value is a secret.
_SECRET_WORDS = frozenset(
    {
        "PASSWORD",
        "PASSWORDS",
        "PASSWD",
        "PASS",
        "PASSPHRASE",
        "SECRET",
        "SECRETS",
        "TOKEN",
        "TOKENS",
        "CREDENTIAL",
        "CREDENTIALS",
        "CREDS",
        "APIKEY",
        "PRIVATEKEY",
        "ACCESSKEY",
        "SECRETKEY",
        "CLIENTSECRET",
    }
)
_SECRET_PAIRS = frozenset(
    {("API", "KEY"), ("PRIVATE", "KEY"), ("ACCESS", "KEY"), ("SIGNING", "KEY")}
)
#: A last segment that makes the variable a reference to a secret, not the secret itself.
_REFERENCE_SUFFIXES = frozenset({"ARN", "NAME", "PARAMETER", "PARAM"})
_SEGMENT = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


class NotASecret(str):
    """An environment value acknowledged as not secret although its name looks like one.

    ``environment={"TOKEN_URL": NotASecret("https://auth.example.com/token")}``: the name has a
    secret-like word (``TOKEN``), the value is a public URL. The value is passed on as a plain
    string; the wrapper only lifts the check for that one variable.
    """

    __slots__ = ()


def _segments(name: str) -> list[str]:
    return [part.upper() for part in _SEGMENT.findall(name)]


def secret_like(name: str) -> bool:
    """Whether an environment variable's name says it holds a secret.

    Whole segments of the name count (split at ``_``, ``-``, ``.`` and camelCase), case
    insensitive: ``DB_PASSWORD``, ``apiKey``, ``github-token`` are; ``TOKENIZER_MODEL``,
    ``PASSAGE`` and references such as ``DB_PASSWORD_SECRET_ARN`` are not.
    """
    segments = _segments(name)
    if not segments or segments[-1] in _REFERENCE_SUFFIXES:
        return False
    if any(segment in _SECRET_WORDS for segment in segments):
        return True
    return any(pair in _SECRET_PAIRS for pair in itertools.pairwise(segments))


def secret_like_names(environment: Mapping[str, str]) -> list[str]:
    """The variables named like a secret and not acknowledged with :class:`NotASecret`."""
    return [
        name
        for name, value in environment.items()
        if secret_like(name) and not isinstance(value, NotASecret)
    ]


def plain(environment: Mapping[str, str] | None) -> dict[str, str]:
    """The environment with every :class:`NotASecret` unwrapped to a plain ``str``."""
    return {name: str(value) for name, value in (environment or {}).items()}


def check_no_plain_secrets(
    owner: str, prop: str, environment: Mapping[str, str] | None, *, container: bool
) -> None:
    """Refuse a variable named like a secret in a plain environment.

    Args:
        owner: the construct, e.g. ``FargateService 'Api'``.
        prop: the environment's prop name, e.g. ``environment`` or ``consumer.environment``.
        environment: the variables.
        container: where the secret should go instead: ``secrets=`` (a container) or a
            reference resolved at run time (a function).

    Raises:
        InvalidPropError: naming the first such variable (never its value).
    """
    names = secret_like_names(environment or {})
    if not names:
        return
    name = names[0]
    secrets_prop = prop.rsplit("environment", 1)[0] + "secrets"
    if container:
        instead = (
            f"pass it as {secrets_prop}={{{name!r}: ecs.Secret.from_secrets_manager(secret)}} "
            "(Secrets Manager) or ecs.Secret.from_ssm_parameter(parameter) (an SSM "
            "SecureString); ECS injects it at start and it never reaches the template"
        )
    else:
        instead = (
            f"pass a reference instead: the secret's ARN or name in a variable named for it "
            f"(e.g. '{name}_SECRET_ARN') with secret.grant_read(function), read at run time "
            "(e.g. Powertools' parameters.get_secret)"
        )
    raise InvalidPropError(
        owner,
        prop,
        name,
        f"allowed: no variable named like a secret (PASSWORD, SECRET, TOKEN, API_KEY, "
        f"PRIVATE_KEY, CREDENTIALS, ...) in plain configuration: {instead}. If {name!r} is not "
        f"a secret, acknowledge it with NotASecret(value)",
    )


def environment_bytes(environment: Mapping[str, str]) -> int:
    """The bytes Lambda counts for ``environment`` (tokens, unknown until deploy, count 0)."""
    return sum(
        len(name.encode()) + (0 if is_token(value) else len(str(value).encode()))
        for name, value in environment.items()
    )


def check_function_environment(
    owner: str,
    prop: str,
    environment: Mapping[str, str] | None,
    *,
    added: Iterable[tuple[str, str]] = (),
) -> None:
    """Check a function's environment: no secret-like names, and at most Lambda's 4 KB.

    Args:
        owner: the construct.
        prop: the environment's prop name.
        environment: the user's variables.
        added: the variables the library adds beside them (counted against the limit).

    Raises:
        InvalidPropError: naming the prop and the size, or the secret-like variable.
    """
    check_no_plain_secrets(owner, prop, environment, container=False)
    total = environment_bytes({**dict(added), **(environment or {})})
    if total > LAMBDA_ENVIRONMENT_LIMIT:
        raise InvalidPropError(
            owner,
            prop,
            f"{total} bytes of variables",
            f"allowed: at most {LAMBDA_ENVIRONMENT_LIMIT} bytes (Lambda's limit on a function's "
            "environment, names and values together, including the variables the library "
            "adds); keep large configuration in SSM Parameter Store or AppConfig",
        )
