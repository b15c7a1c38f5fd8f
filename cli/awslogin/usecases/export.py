"""`awslogin export`: the profile's credentials as shell `export` lines or JSON."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping

from awslogin.session_record import ProcessOutput, process_output
from awslogin.usecases.credential_process import current_record


def export_credentials(
    profile: str, environ: Mapping[str, str], fmt: str, *, debug: bool = False
) -> str:
    output = process_output(current_record(profile, environ, debug=debug))
    if fmt == "json":
        return json.dumps(output, indent=2)
    names = environment_variables(output)
    return "\n".join(f"export {name}={shlex.quote(value)}" for name, value in names.items())


def environment_variables(output: ProcessOutput) -> dict[str, str]:
    """The credential_process output as the environment variables every SDK reads."""
    names = {
        "AWS_ACCESS_KEY_ID": output["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": output["SecretAccessKey"],
        "AWS_SESSION_TOKEN": output["SessionToken"],
        "AWS_CREDENTIAL_EXPIRATION": output["Expiration"],
    }
    if "AccountId" in output:
        names["AWS_ACCOUNT_ID"] = output["AccountId"]
    return {name: str(value) for name, value in names.items()}
