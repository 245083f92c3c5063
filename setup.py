"""Builds the compiled modules (pipelines/privacy/*.pyx); everything else is in pyproject.toml."""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(ext_modules=cythonize(
    [Extension(f"pipelines.privacy.{m}", [f"pipelines/privacy/{m}.pyx"], extra_compile_args=["-O3"])
     for m in ("_scan", "_methods")],
    compiler_directives={"language_level": "3"}, quiet=True))
