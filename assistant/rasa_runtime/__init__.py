"""Code that runs inside the Rasa server's own venv (``.venv-rasa``, Python 3.10).

``python -m assistant.rasa_runtime run ...`` is ``rasa run ...`` with the fixes
of ``fixes`` applied first; ``tracker_store`` is the tracker store the launcher
names in endpoints.yml. Nothing here may import the app's modules (they need
the app's venv); only the standard library and Rasa.
"""
