import subprocess
import sys


def test_import_is_light():
    # heavy libraries must not be imported by `import ibtheory`
    code = ("import sys, ibtheory; bad = [m for m in ('sympy', 'cvxpy', 'matplotlib', 'scipy') "
            "if m in sys.modules]; print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_lazy_subpackages():
    import ibtheory

    assert ibtheory.special.h(2, 0.0) == 0.0
