"""Tests of the Kivy tablet app."""
