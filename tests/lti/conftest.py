"""A registered platform, served on loopback, for every LTI test."""
import pytest

from tests.lti.platform import Platform


@pytest.fixture
def platform(runner):
    found = Platform()
    result = runner.invoke(args=found.cli_args())
    assert result.exit_code == 0, result.output
    found.id = int(result.output.split("Registered platform ")[1].split(":")[0])  # its row's id
    yield found
    found.close()
