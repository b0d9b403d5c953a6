import pytest


@pytest.fixture(scope="session")
def registered():
    """The app's functions by name. `get_functions()` may be called once per app object, so once per session."""
    import function_app

    return {f.get_function_name(): f for f in function_app.app.get_functions()}
