"""JiebaTokenizer that also accepts a single user-dictionary file.

Rasa's JiebaTokenizer wants ``dictionary_path`` to be a directory and silently
loads nothing when it is a file; the project keeps one file,
``nlu/jieba_userdict.txt``, so this subclass accepts either.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)


def _dictionary_files(path: str) -> list[str]:
    if os.path.isfile(path):
        return [path]
    return sorted(glob.glob(f"{path}/*"))


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True
)
class ZhJiebaTokenizer(JiebaTokenizer):
    """Jieba tokenizer whose ``dictionary_path`` may be a file or a directory.

    jieba's HMM new-word guessing is off: it glues unknown neighbours such as
    "俺流" or "周订" into one token, which hides words from the featurizers
    and breaks entity boundaries; the character n-gram features cover the rest.
    """

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        import jieba

        text = message.get(attribute)
        tokens = [
            Token(word, start)
            for word, start, _end in jieba.tokenize(text, HMM=False)
            if word.strip()
        ]
        return self._apply_token_pattern(tokens)

    @staticmethod
    def _load_custom_dictionary(path: str) -> None:
        import jieba

        for userdict in _dictionary_files(path):
            logger.info("loading jieba user dictionary %s", userdict)
            jieba.load_userdict(userdict)

    @staticmethod
    def _copy_files_dir_to_dir(input_dir: str, output_dir: str) -> None:
        os.makedirs(output_dir, exist_ok=True)
        for source in _dictionary_files(input_dir):
            shutil.copy2(source, output_dir)
